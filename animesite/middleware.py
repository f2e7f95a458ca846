"""Answers that outlive a database outage.

:class:`StaleIfDatabaseDownMiddleware` keeps a copy in Redis of each successful ``GET /api/...``
JSON answer (per path with its query, visitor and language, and for a signed-in visitor the
state token of their collection and "not interested" list; refreshed at most every
``REFRESH_SECONDS`` per process, kept ``STALE_TTL_SECONDS``). When MariaDB cannot be reached a
read fails with 503 ``service_unavailable`` (``animesite.exceptions``); if a copy exists it is
served instead, with ``"degraded": true`` in an object body and the header
``X-Degraded: database``. Writes keep their 503 with ``Retry-After``: nothing is acknowledged
that was not stored.

On the paths whose answers follow the user's collection and "not interested" list
(``settings.STALE_STATE_PATHS``: recommendations, the collection, home) a signed-in visitor's
copy is also keyed by their state token (``settings.STALE_STATE_TOKEN``, a ``(user) -> str``
read from Redis, resolved by dotted path as the project helpers import no app), read before the
view runs: such a copy is only ever served for the exact request (user, parameters, language,
state) it answered, never one from before the user's latest change. When the token cannot be
read (Redis down) nothing is stored or served there for that visitor. Other paths (catalogue,
rankings) depend on the user only through what staff may see, and are keyed by user alone, so a
change to the collection does not throw their copies away.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from animesite.redis import redis_client

logger = logging.getLogger(__name__)

STALE_TTL_SECONDS = 6 * 3600
REFRESH_SECONDS = 30.0
MAX_BODY_BYTES = 512 * 1024
_SKIPPED_PREFIXES = ("/api/schema/", "/api/docs/")
_stored_at: dict[str, float] = {}
_stored_lock = threading.Lock()


def _visitor(request: HttpRequest) -> str | None:
    """``anon``, ``u<id>`` for a signed-in visitor, ``u<id>:<state token>`` on the paths whose
    answers follow the user's collection (``settings.STALE_STATE_PATHS``); None when it cannot be
    told (the user could not be loaded, or their state token read)."""
    user = getattr(request, "user", None)
    try:
        if user is None or not user.is_authenticated:
            return "anon"
        user_id = int(user.pk)
    except Exception:  # the user could not be loaded (database down, no cached row)
        return None
    if not request.path.startswith(tuple(settings.STALE_STATE_PATHS)):
        return f"u{user_id}"
    try:
        token = import_string(settings.STALE_STATE_TOKEN)(user=user)
    except Exception:  # Redis unreachable
        return None
    return f"u{user_id}:{token}"


def stale_key(request: HttpRequest) -> str | None:
    """The Redis key of this request's copy; None when the visitor cannot be told."""
    visitor = _visitor(request)
    if visitor is None:
        return None
    language = getattr(request, "LANGUAGE_CODE", "") or ""
    digest = hashlib.sha256(request.get_full_path().encode("utf-8")).hexdigest()[:32]
    return f"stale:v2:{visitor}:{language}:{digest}"


class StaleIfDatabaseDownMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method != "GET"
            or not request.path.startswith("/api/")
            or request.path.startswith(_SKIPPED_PREFIXES)
        ):
            return self.get_response(request)
        # Before the view: an answer computed while the state changes is kept under the older
        # token, which is never asked for again.
        key = stale_key(request)
        response = self.get_response(request)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
            if key is not None:
                self._remember(key, response)
        elif response.status_code == 503 and getattr(response, "database_unavailable", False):
            stale = self._recall(request, key)
            if stale is not None:
                return stale
        return response

    def _remember(self, key: str, response: HttpResponse) -> None:
        if getattr(response, "streaming", False):
            return
        now = time.monotonic()
        if now - _stored_at.get(key, -REFRESH_SECONDS) < REFRESH_SECONDS:
            return
        body = response.content
        if len(body) > MAX_BODY_BYTES:
            return
        try:
            redis_client().set(key, body, ex=STALE_TTL_SECONDS)
        except redis.RedisError:
            return
        with _stored_lock:
            if len(_stored_at) > 50_000:
                _stored_at.clear()
            _stored_at[key] = now

    def _recall(self, request: HttpRequest, key: str | None) -> HttpResponse | None:
        if key is None:
            return None
        try:
            body = redis_client().get(key)
        except redis.RedisError:
            return None
        if not isinstance(body, bytes):
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if isinstance(data, dict):
            data["degraded"] = True
            body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        logger.warning("database unreachable: %s answered from its stored copy", request.path)
        response = HttpResponse(body, content_type="application/json", status=200)
        response["X-Degraded"] = "database"
        return response
