"""Login and registration throttles. Counters live in the shared cache (Redis), so every web
process sees the same attempts; rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``."""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # Read the rate on every request (not once at import) so that settings overrides apply.
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        rate = rates.get(self.scope or "")
        return str(rate) if rate else None


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
        username = str(data.get("username") or "").strip().casefold()
        if not username:
            return None
        digest = hashlib.sha256(username.encode("utf-8")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class RegisterIPThrottle(_SettingsRateThrottle):
    """Registrations from one client address."""

    scope = "register"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
