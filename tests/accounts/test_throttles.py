"""Throttles that hold: the address is the socket's unless proxies are configured, the username
key is normalised as login normalises it, and a Redis outage falls back to a local counter."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.throttles import local_fallback_cache
from tests.accounts.test_apis import LOGIN_URL, PASSWORD, _throttle_rates
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_local_fallback() -> Iterator[None]:
    local_fallback_cache().clear()
    yield
    local_fallback_cache().clear()


def _dead_redis_caches() -> dict:
    caches = copy.deepcopy(settings.CACHES)
    caches["throttle"]["LOCATION"] = "redis://127.0.0.1:9/0"  # discard port: nothing listens
    caches["throttle"]["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] = 0.2
    caches["throttle"]["OPTIONS"]["SOCKET_TIMEOUT"] = 0.2
    return caches


@override_settings(REST_FRAMEWORK=_throttle_rates(login_ip="3/min"))
def test_rotating_x_forwarded_for_does_not_escape_the_address_throttle():
    client = APIClient(REMOTE_ADDR="10.2.0.1")
    statuses = [
        client.post(
            LOGIN_URL,
            {"username": "nobody", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(1, 6)
    ]
    assert statuses == [400, 400, 400, 429, 429]


@override_settings(REST_FRAMEWORK={**_throttle_rates(login_ip="2/min"), "NUM_PROXIES": 1})
def test_with_one_proxy_the_forwarded_client_address_is_used():
    proxy = APIClient(REMOTE_ADDR="10.2.0.254")
    first = [
        proxy.post(
            LOGIN_URL, {"username": "n", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.7"
        ).status_code
        for _ in range(3)
    ]
    assert first == [400, 400, 429]
    other = proxy.post(LOGIN_URL, {"username": "n", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 400


@override_settings(REST_FRAMEWORK=_throttle_rates(login_username="3/min"))
def test_full_width_spelling_counts_against_the_same_username():
    UserFactory.create(username="QaHunt", password=PASSWORD)
    for address in ("10.3.0.1", "10.3.0.2", "10.3.0.3"):
        response = APIClient(REMOTE_ADDR=address).post(
            LOGIN_URL, {"username": "QaHunt", "password": "wrong"}, format="json"
        )
        assert response.status_code == 400
    full_width = "\uff31\uff41\uff28\uff55\uff4e\uff54"  # "QaHunt" in full-width letters
    response = APIClient(REMOTE_ADDR="10.3.0.4").post(
        LOGIN_URL, {"username": full_width, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429


@override_settings(REST_FRAMEWORK=_throttle_rates(login_username="3/min", login_ip="1000/min"))
def test_username_throttle_holds_while_redis_is_down():
    UserFactory.create(username="hange", password=PASSWORD)
    with override_settings(CACHES=_dead_redis_caches()):
        statuses = [
            APIClient(REMOTE_ADDR=f"10.4.0.{i}")
            .post(LOGIN_URL, {"username": "hange", "password": "wrong"}, format="json")
            .status_code
            for i in range(1, 6)
        ]
    assert statuses == [400, 400, 400, 429, 429]


@override_settings(REST_FRAMEWORK=_throttle_rates(login_ip="2/min"))
def test_address_throttle_holds_while_redis_is_down():
    with override_settings(CACHES=_dead_redis_caches()):
        client = APIClient(REMOTE_ADDR="10.5.0.1")
        statuses = [
            client.post(LOGIN_URL, {"username": f"u{i}", "password": "x"}, format="json").status_code
            for i in range(4)
        ]
    assert statuses == [400, 400, 429, 429]
