"""Account reads."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS

from accounts.models import User

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


# The fields a request needs of its user (all concrete columns), cached for this long. Every save
# or delete of a user drops the entry after commit (``accounts.signals``), so a password change,
# deactivation or new permission shows on the next request; the timeout only bounds what a write
# that bypasses signals (``QuerySet.update``) leaves behind.
USER_CACHE_SECONDS = 300


def user_cache_key(user_id: Any) -> str:
    return f"accounts:user:{user_id}"


def _user_fields() -> list[str]:
    return [field.attname for field in User._meta.concrete_fields]


def user_get_cached(*, user_id: Any) -> User | None:
    """The user with primary key ``user_id`` from the cache, else the database (then cached).

    Returns None for an unknown or malformed id. The cache being unreachable only costs the
    database query.
    """
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    key = user_cache_key(pk)
    names = _user_fields()
    try:
        values = cache.get(key)
    except Exception:
        logger.warning("cache unreachable: reading user %s from the database", pk, exc_info=True)
        values = None
    if isinstance(values, list) and len(values) == len(names):
        return User.from_db(DEFAULT_DB_ALIAS, names, values)
    user = User._default_manager.filter(pk=pk).first()
    if user is None:
        return None
    try:
        cache.set(key, [getattr(user, name) for name in names], USER_CACHE_SECONDS)
    except Exception:
        logger.warning("cache unreachable: user %s not cached", pk, exc_info=True)
    return user
