"""Register, login, logout and ``me`` through the HTTP API, with CSRF, throttling and both languages."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
REGISTER_URL = "/api/auth/register/"
LOGIN_URL = "/api/auth/login/"
LOGOUT_URL = "/api/auth/logout/"
ME_URL = "/api/auth/me/"
ZH_INVALID_CREDENTIALS = "校验失败，用户名或密码错误！"  # noqa: RUF001


def _register_payload(**overrides: str) -> dict[str, str]:
    payload = {
        "username": "new_user-1",
        "password": "Sakura-Blossom-42",
        "password_confirm": "Sakura-Blossom-42",
    }
    payload.update(overrides)
    return payload


def _throttle_rates(**rates: str) -> dict[str, Any]:
    current: dict[str, Any] = settings.REST_FRAMEWORK
    return {**current, "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates}}


# --- register -----------------------------------------------------------------------------


def test_register_creates_a_site_account_and_logs_in(api_client):
    # when
    response = api_client.post(REGISTER_URL, _register_payload(email="me@example.com"), format="json")

    # then
    assert response.status_code == 201
    body = response.json()
    assert body["is_authenticated"] is True
    assert body["username"] == "new_user-1"
    assert body["email"] == "me@example.com"
    user = User.objects.get(username="new_user-1")
    assert user.source == User.Source.SITE
    assert user.check_password("Sakura-Blossom-42")
    assert api_client.get(ME_URL).json()["id"] == user.id


def test_register_accepts_letters_of_any_script(api_client):
    response = api_client.post(REGISTER_URL, _register_payload(username="动画迷_01"), format="json")

    assert response.status_code == 201
    assert response.json()["username"] == "动画迷_01"


def test_register_rejects_a_username_taken_in_another_case(api_client):
    # given
    UserFactory.create(username="Mikasa")

    # when
    response = api_client.post(REGISTER_URL, _register_payload(username="mikasa"), format="json")

    # then
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["extra"]["fields"]["username"] == ["This username is already taken."]
    assert User.objects.filter(username__iexact="mikasa").count() == 1


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        ("ab", "between 3 and 30"),
        ("x" * 31, "between 3 and 30"),
        ("has space", "letters, digits"),
        ("dot.name", "letters, digits"),
        ("mail@me", "letters, digits"),
    ],
)
def test_register_rejects_a_bad_username(api_client, username, reason):
    response = api_client.post(REGISTER_URL, _register_payload(username=username), format="json")

    assert response.status_code == 400
    messages = response.json()["extra"]["fields"]["username"]
    assert reason in messages[0]
    assert not User.objects.filter(username=username).exists()


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("8675309123456", "entirely numeric"),
    ],
)
def test_register_runs_the_password_validators(api_client, password, expected):
    response = api_client.post(
        REGISTER_URL, _register_payload(password=password, password_confirm=password), format="json"
    )

    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert set(fields) == {"password"}
    assert any(expected in message for message in fields["password"])
    assert not User.objects.filter(username="new_user-1").exists()


def test_register_rejects_a_password_too_similar_to_the_username(api_client):
    response = api_client.post(
        REGISTER_URL,
        _register_payload(
            username="tanjiro_kamado", password="tanjiro_kamado1", password_confirm="tanjiro_kamado1"
        ),
        format="json",
    )

    assert response.status_code == 400
    assert any("too similar" in m for m in response.json()["extra"]["fields"]["password"])


def test_register_rejects_a_mismatched_confirmation(api_client):
    response = api_client.post(
        REGISTER_URL, _register_payload(password_confirm="Something-Else-42"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"password_confirm": ["The two passwords do not match."]}
    assert not User.objects.filter(username="new_user-1").exists()


def test_register_names_missing_fields(api_client):
    response = api_client.post(REGISTER_URL, {"username": "someone"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"password", "password_confirm"}


def test_register_errors_are_translated(api_client):
    response = api_client.post(
        REGISTER_URL,
        _register_payload(password_confirm="Something-Else-42"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 400
    assert response.json()["message"] == "输入无效。"
    assert response.json()["extra"]["fields"]["password_confirm"] == ["两次输入的密码不一致。"]


@override_settings(REST_FRAMEWORK=_throttle_rates(register="2/hour"))
def test_register_is_throttled_per_address():
    # given: two registrations from the same address
    for name in ("first_one", "second_one"):
        client = APIClient()
        assert client.post(REGISTER_URL, _register_payload(username=name), format="json").status_code == 201

    # when
    response = APIClient().post(REGISTER_URL, _register_payload(username="third_one"), format="json")

    # then
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert not User.objects.filter(username="third_one").exists()


# --- login --------------------------------------------------------------------------------


def test_login_with_correct_credentials_starts_a_session(api_client):
    # given
    user = UserFactory.create(username="levi", password=PASSWORD)

    # when
    response = api_client.post(LOGIN_URL, {"username": "levi", "password": PASSWORD}, format="json")

    # then
    assert response.status_code == 200
    assert response.json()["is_authenticated"] is True
    assert response.json()["id"] == user.id
    assert api_client.get(ME_URL).json()["username"] == "levi"


def test_login_ignores_the_case_of_the_username(api_client):
    UserFactory.create(username="Levi", password=PASSWORD)

    response = api_client.post(LOGIN_URL, {"username": "LEVI", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["username"] == "Levi"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "Invalid username or password"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "Invalid username or password"),
        ({"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, ZH_INVALID_CREDENTIALS),
        ({"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}, ZH_INVALID_CREDENTIALS),
    ],
)
def test_login_with_a_wrong_password_is_refused_in_the_visitors_language(api_client, headers, expected):
    # given
    UserFactory.create(username="levi", password=PASSWORD)

    # when
    response = api_client.post(
        LOGIN_URL, {"username": "levi", "password": "wrong-one"}, format="json", **headers
    )

    # then
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert body["message"] == expected
    assert api_client.get(ME_URL).json() == {"is_authenticated": False}


def test_login_language_follows_the_language_cookie(api_client):
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = api_client.post(LOGIN_URL, {"username": "nobody", "password": "whatever"}, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == ZH_INVALID_CREDENTIALS


def test_login_with_an_unknown_username_gives_the_same_answer(api_client):
    response = api_client.post(LOGIN_URL, {"username": "ghost", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["message"] == "Invalid username or password"


def test_dataset_users_can_never_log_in(api_client):
    # given: an imported account that somehow has a usable password
    UserFactory.create(
        username="dataset_42", password=PASSWORD, source=User.Source.DATASET, dataset_user_id=42
    )

    # when
    response = api_client.post(LOGIN_URL, {"username": "dataset_42", "password": PASSWORD}, format="json")

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert api_client.get(ME_URL).json() == {"is_authenticated": False}


def test_inactive_users_cannot_log_in(api_client):
    UserFactory.create(username="gone", password=PASSWORD, is_active=False)

    response = api_client.post(LOGIN_URL, {"username": "gone", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_login_names_missing_fields(api_client):
    response = api_client.post(LOGIN_URL, {"username": "levi"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["password"]


@override_settings(REST_FRAMEWORK=_throttle_rates(login_username="3/min"))
def test_login_is_throttled_per_username_across_addresses():
    # given: three failed attempts on one account from three addresses
    UserFactory.create(username="levi", password=PASSWORD)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        response = APIClient(REMOTE_ADDR=address).post(
            LOGIN_URL, {"username": "levi", "password": "nope"}, format="json"
        )
        assert response.status_code == 400

    # when: even the right password, from a fresh address
    response = APIClient(REMOTE_ADDR="10.0.0.4").post(
        LOGIN_URL, {"username": "LEVI", "password": PASSWORD}, format="json"
    )

    # then
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert body["extra"]["retry_after"] > 0
    # another account is not affected
    UserFactory.create(username="erwin", password=PASSWORD)
    other = APIClient(REMOTE_ADDR="10.0.0.4").post(LOGIN_URL, {"username": "erwin", "password": PASSWORD})
    assert other.status_code == 200


@override_settings(REST_FRAMEWORK=_throttle_rates(login_ip="2/min"))
def test_login_is_throttled_per_address_across_usernames():
    # given
    client = APIClient(REMOTE_ADDR="10.1.1.1")
    for name in ("a_one", "b_two"):
        assert client.post(LOGIN_URL, {"username": name, "password": "x"}, format="json").status_code == 400

    # when
    response = client.post(LOGIN_URL, {"username": "c_three", "password": "x"}, format="json")

    # then
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    other_address = APIClient(REMOTE_ADDR="10.1.1.2")
    assert other_address.post(LOGIN_URL, {"username": "c_three", "password": "x"}).status_code == 400


# --- CSRF ---------------------------------------------------------------------------------


def test_me_hands_out_the_csrf_cookie():
    client = APIClient(enforce_csrf_checks=True)

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {"is_authenticated": False}
    assert response.cookies[settings.CSRF_COOKIE_NAME].value


def test_login_without_a_csrf_token_is_forbidden():
    # given
    UserFactory.create(username="levi", password=PASSWORD)
    client = APIClient(enforce_csrf_checks=True)
    client.get(ME_URL)

    # when
    response = client.post(LOGIN_URL, {"username": "levi", "password": PASSWORD}, format="json")

    # then
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    assert client.get(ME_URL).json() == {"is_authenticated": False}


def test_login_register_and_logout_work_with_the_csrf_token():
    # given: the SPA's flow, a token from `me` sent back as a header
    client = APIClient(enforce_csrf_checks=True)
    token = client.get(ME_URL).cookies[settings.CSRF_COOKIE_NAME].value

    # when
    registered = client.post(REGISTER_URL, _register_payload(), format="json", HTTP_X_CSRFTOKEN=token)
    # login rotates the token; the new one comes back as a cookie
    token = registered.cookies[settings.CSRF_COOKIE_NAME].value
    refused = client.post(LOGOUT_URL)
    logged_out = client.post(LOGOUT_URL, HTTP_X_CSRFTOKEN=token)

    # then
    assert registered.status_code == 201
    assert refused.status_code == 403
    assert logged_out.status_code == 200
    assert client.get(ME_URL).json() == {"is_authenticated": False}


def test_register_without_a_csrf_token_is_forbidden():
    client = APIClient(enforce_csrf_checks=True)
    client.get(ME_URL)

    response = client.post(REGISTER_URL, _register_payload(), format="json")

    assert response.status_code == 403
    assert not User.objects.filter(username="new_user-1").exists()


# --- logout and me ------------------------------------------------------------------------


def test_logout_ends_the_session(user_client):
    # given
    assert user_client.get(ME_URL).json()["is_authenticated"] is True

    # when
    response = user_client.post(LOGOUT_URL)

    # then
    assert response.status_code == 200
    assert response.json() == {"is_authenticated": False}
    assert user_client.get(ME_URL).json() == {"is_authenticated": False}


def test_me_describes_the_logged_in_user(user_client, user):
    response = user_client.get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["is_authenticated"] is True
    assert body["id"] == user.id
    assert body["username"] == user.username
    assert body["is_staff"] is False
    assert "password" not in body


def test_me_rejects_writes(api_client):
    assert api_client.post(ME_URL).status_code == 405
