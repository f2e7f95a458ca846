"""Account reads."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import redis
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated

from accounts.models import User
from animesite.redis import redis_client

logger = logging.getLogger(__name__)


def user_profile(user: User | AnonymousUser) -> dict[str, Any]:
    """What the site shows about the current visitor."""
    if not isinstance(user, User) or not user.is_authenticated:
        return {"is_authenticated": False}
    return {
        "is_authenticated": True,
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "is_staff": user.is_staff,
        "preferred_language": user.preferred_language,
        "date_joined": user.date_joined,
    }


# Every signed-in request needs its user: the row's columns are kept in Redis for this long.
# Every save or delete of a user drops the entry (``accounts.signals``), so a password change,
# deactivation or new permission shows on the next request; the timeout only bounds what a write
# that bypasses signals (``QuerySet.update``) leaves behind.
USER_CACHE_SECONDS = 300

# Other apps' per-user Redis keys, read in the same round trip as the user (see
# :func:`user_companion_key_register`).
_companion_keys: list[Callable[[int], str]] = []


def user_cache_key(user_id: Any) -> str:
    return f"accounts:user:{user_id}"


def user_companion_key_register(key_for: Callable[[int], str]) -> None:
    """Have ``key_for(user_id)`` read together with the cached user on every signed-in request.

    The values (bytes, or None for a missing key) land in the user's ``redis_companions`` dict,
    keyed by the key: an app that needs a small per-user value on every request (a state token)
    then needs no round trip of its own. Absent on users that did not come from
    :func:`user_get_cached` or when Redis could not be read.
    """
    if key_for not in _companion_keys:
        _companion_keys.append(key_for)


def _encode(user: User) -> bytes:
    return json.dumps(
        [field.value_from_object(user) for field in User._meta.concrete_fields], cls=DjangoJSONEncoder
    ).encode()


def _decode(raw: bytes) -> User | None:
    fields = User._meta.concrete_fields
    values = json.loads(raw)
    if not isinstance(values, list) or len(values) != len(fields):
        return None  # written by another version of the model
    return User.from_db(
        DEFAULT_DB_ALIAS,
        [f.attname for f in fields],
        [f.to_python(v) for f, v in zip(fields, values, strict=True)],
    )


def user_get_cached(*, user_id: Any) -> User | None:
    """The user with primary key ``user_id`` from Redis, else the database (then kept in Redis).

    One round trip reads the user and the registered companion keys. Returns None for an unknown
    or malformed id. Redis being unreachable only costs the database query.
    """
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    key = user_cache_key(pk)
    companions = [key_for(pk) for key_for in _companion_keys]
    client = redis_client()
    raw: list[Any] | None
    try:
        raw = client.mget([key, *companions])
    except redis.RedisError:
        logger.warning("Redis unreachable: reading user %s from the database", pk, exc_info=True)
        raw = None
    user = _decode(raw[0]) if raw and isinstance(raw[0], bytes) else None
    if user is None:
        user = User._default_manager.filter(pk=pk).first()
        if user is None:
            return None
        if raw is not None:
            try:
                client.set(key, _encode(user), ex=USER_CACHE_SECONDS)
            except redis.RedisError:
                logger.warning("Redis unreachable: user %s not cached", pk, exc_info=True)
    if raw is not None:
        user.redis_companions = dict(zip(companions, raw[1:], strict=True))
    return user


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user of a request (DRF's ``Request`` included), typed as ``User``.

    For views that require authentication; raises DRF's ``NotAuthenticated`` (401) otherwise.
    """
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user
