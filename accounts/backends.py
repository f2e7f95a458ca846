"""Authentication backend whose per-request user lookup is answered from the cache.

Every signed-in request resolves the session's user id to a ``User``. ``ModelBackend`` does it
with a database query; :class:`CachedModelBackend` reads the same row from Redis (kept there by
:func:`accounts.selectors.user_get_cached`, dropped after every save or delete of the user), and
falls back to the database when the cache is unavailable. Logging in still checks the password
against the database.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from accounts.selectors import user_get_cached


class CachedModelBackend(ModelBackend):
    """``ModelBackend`` with a cached ``get_user`` (the session lookup)."""

    def get_user(self, user_id: Any) -> Any:
        user = user_get_cached(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
