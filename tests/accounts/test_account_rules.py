"""Registration refuses whitespace-only and trivially weak passwords, and usernames a reader could
mistake for an existing one (Unicode confusables), in English and Simplified Chinese."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.usernames import username_skeleton
from tests.accounts.test_apis import REGISTER_URL, _register_payload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _register(client, language: str = "en", **overrides: str):
    return client.post(
        REGISTER_URL, _register_payload(**overrides), format="json", HTTP_ACCEPT_LANGUAGE=language
    )


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "A password cannot consist only of spaces."), ("zh-hans", "密码不能只由空格组成。")],
)
def test_twelve_spaces_is_not_a_password(api_client, language, message):
    response = _register(api_client, language, password=" " * 12, password_confirm=" " * 12)
    assert response.status_code == 400
    assert message in response.json()["extra"]["fields"]["password"]
    assert not User.objects.filter(username="new_user-1").exists()


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "abababababab", "\t\t\t\t\t\t\t\t\t\t"])
def test_trivially_weak_passwords_are_refused(api_client, password):
    response = _register(api_client, password=password, password_confirm=password)
    assert response.status_code == 400
    assert "password" in response.json()["extra"]["fields"]


def test_a_varied_password_is_still_accepted(api_client):
    response = _register(api_client)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This username looks too much like an existing one; please choose another."),
        ("zh-hans", "该用户名与已有的用户名过于相似，请换一个。"),  # noqa: RUF001
    ],
)
def test_cyrillic_look_alike_of_an_existing_name_is_refused(api_client, language, message):
    UserFactory.create(username="QaHunt")
    response = _register(api_client, language, username="Q\u0430Hunt")  # Cyrillic small a
    assert response.status_code == 400
    assert response.json()["extra"]["fields"]["username"] == [message]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("existing", "attempt"), [("levi", "Ievi"), ("levi", "\u217cevi"), ("mal_1", "maI_1")]
)
def test_other_look_alikes_are_refused(api_client, existing, attempt):
    UserFactory.create(username=existing)
    response = _register(api_client, username=attempt)
    assert response.status_code == 400
    assert "username" in response.json()["extra"]["fields"]


def test_skeleton_is_kept_on_save_and_distinct_names_still_register(api_client):
    user = UserFactory.create(username="QaHunt")
    assert User.objects.get(pk=user.pk).username_skeleton == username_skeleton("QaHunt") == "qahunt"
    assert _register(api_client, username="QaHunter").status_code == 201
    assert _register(api_client, username="动画迷_01").status_code in (201, 429)
