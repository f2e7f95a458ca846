"""Login and registration throttles. Counters live in the shared cache (Redis), so every web
process sees the same attempts; rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``.

- The client address is the socket address, or the ``X-Forwarded-For`` entry that
  ``NUM_PROXIES`` trusted proxies put there (DRF's ``get_ident``); with the default 0 a client
  cannot choose its own address.
- The username key is normalised exactly as login normalises it (NFKC, then case-folded), so a
  full-width or differently cased spelling counts against the same account.
- When Redis cannot be reached the counters fall back to a per-process in-memory cache: the
  throttle keeps holding (per process) instead of turning off.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import redis
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django_redis.exceptions import ConnectionInterrupted
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.services import username_normalize

logger = logging.getLogger(__name__)

# The cache alias whose errors are raised (not ignored) so that an outage is noticed.
THROTTLE_CACHE_ALIAS = "throttle"
_local_fallback = LocMemCache("animesite-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


def local_fallback_cache() -> BaseCache:
    return _local_fallback


def login_username_key(username: str) -> str:
    """The throttle identity of a username as login sees it (NFKC, stripped, case-folded)."""
    return username_normalize(username).casefold()


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # Read the rate on every request (not once at import) so that settings overrides apply.
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        rate = rates.get(self.scope or "")
        return str(rate) if rate else None

    def allow_request(self, request: Request, view: Any) -> bool:
        self.cache = caches[THROTTLE_CACHE_ALIAS]
        try:
            return super().allow_request(request, view)
        except (ConnectionInterrupted, redis.RedisError, OSError):
            logger.warning("throttle cache unreachable: counting %s attempts in this process", self.scope)
            self.cache = _local_fallback
            return super().allow_request(request, view)


class LoginIPThrottle(_SettingsRateThrottle):
    """Login attempts from one client address."""

    scope = "login_ip"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(_SettingsRateThrottle):
    """Login attempts against one username, whatever address they come from."""

    scope = "login_username"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data if hasattr(request.data, "get") else {}
        raw = data.get("username")
        username = login_username_key(raw) if isinstance(raw, str) else ""
        if not username:
            return None
        # "surrogatepass": a body parser that let a lone surrogate through must not make this a 500.
        digest = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class RegisterIPThrottle(_SettingsRateThrottle):
    """Registrations from one client address."""

    scope = "register"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
