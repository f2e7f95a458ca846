"""The session's user comes from the cache, and every change of the user shows on the next request."""

from __future__ import annotations

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import selectors
from accounts.selectors import user_cache_key, user_companion_key_register, user_get_cached
from animesite.redis import redis_client

pytestmark = pytest.mark.django_db

ME_URL = "/api/auth/me/"


def test_a_repeated_request_reads_its_user_from_the_cache(user, user_client):
    # given one request that loaded the user
    assert user_client.get(ME_URL).json()["id"] == user.id
    # when
    with CaptureQueriesContext(connection) as queries:
        body = user_client.get(ME_URL).json()
    # then
    assert body["username"] == user.username
    assert not [q for q in queries.captured_queries if "accounts_user" in q["sql"]]


def test_the_cached_user_is_a_full_user(user):
    user_get_cached(user_id=user.pk)  # fills the cache
    cached = user_get_cached(user_id=str(user.pk))
    assert cached is not None
    assert (cached.pk, cached.username, cached.password, cached.is_active, cached.source) == (
        user.pk,
        user.username,
        user.password,
        user.is_active,
        user.source,
    )
    assert cached._state.adding is False


def test_a_password_change_logs_out_other_sessions_at_once(user, user_client):
    # given a session whose user is cached
    assert user_client.get(ME_URL).json()["is_authenticated"] is True
    # when the password changes elsewhere (the admin, another device)
    user.set_password("another-secret-123")
    user.save()
    # then
    assert user_client.get(ME_URL).json()["is_authenticated"] is False


def test_deactivation_and_deletion_take_effect_at_once(user, user_client, django_user_model):
    assert user_client.get(ME_URL).json()["is_authenticated"] is True
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert user_client.get(ME_URL).json()["is_authenticated"] is False

    user.is_active = True
    user.save(update_fields=["is_active"])
    assert user_client.get(ME_URL).json()["is_authenticated"] is True
    django_user_model.objects.filter(pk=user.pk).delete()
    assert redis_client().get(user_cache_key(user.pk)) is None
    assert user_client.get(ME_URL).json()["is_authenticated"] is False


def test_unknown_and_malformed_ids_are_no_user(user):
    assert user_get_cached(user_id=user.pk + 1000) is None
    assert user_get_cached(user_id="not-a-number") is None


def test_unreachable_redis_falls_back_to_the_database(monkeypatch, user, user_client):
    # given a Redis that refuses every call
    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise redis.ConnectionError("down")

            return fail

    monkeypatch.setattr(selectors, "redis_client", lambda **kwargs: Down())
    # when / then: the session still resolves to its user (the session itself is cached_db)
    assert user_get_cached(user_id=user.pk) == user
    assert user_client.get(ME_URL).json()["id"] == user.id


def test_companion_keys_are_read_with_the_user(user):
    # given a registered per-user key with a value
    user_companion_key_register(lambda pk: f"test-companion:{pk}")
    redis_client().set(f"test-companion:{user.pk}", b"v1")
    # when the user comes from the database, then from Redis
    first = user_get_cached(user_id=user.pk)
    second = user_get_cached(user_id=user.pk)
    # then both carry the value; a missing key reads as None
    assert first is not None and second is not None
    assert first.redis_companions[f"test-companion:{user.pk}"] == b"v1"
    assert second.redis_companions[f"test-companion:{user.pk}"] == b"v1"
    redis_client().delete(f"test-companion:{user.pk}")
    third = user_get_cached(user_id=user.pk)
    assert third is not None and third.redis_companions[f"test-companion:{user.pk}"] is None
