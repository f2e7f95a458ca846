"""Answers that outlive a database outage.

:class:`StaleIfDatabaseDownMiddleware` keeps a copy in Redis of each successful ``GET /api/...``
JSON answer (per path with its query, visitor and language; refreshed at most every
``REFRESH_SECONDS`` per process, kept ``STALE_TTL_SECONDS``). When MariaDB cannot be reached a
read fails with 503 ``service_unavailable`` (``animesite.exceptions``); if a copy exists it is
served instead, with ``"degraded": true`` in an object body and the header
``X-Degraded: database``. Writes keep their 503 with ``Retry-After``: nothing is acknowledged
that was not stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable

import redis
from django.http import HttpRequest, HttpResponse

from animesite.redis import redis_client

logger = logging.getLogger(__name__)

STALE_TTL_SECONDS = 6 * 3600
REFRESH_SECONDS = 30.0
MAX_BODY_BYTES = 512 * 1024
_SKIPPED_PREFIXES = ("/api/schema/", "/api/docs/")
_stored_at: dict[str, float] = {}
_stored_lock = threading.Lock()


def _visitor(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    try:
        if user is not None and user.is_authenticated:
            return f"u{user.pk}"
    except Exception:  # the user could not be loaded (database down, no cached row)
        return "unknown"
    return "anon"


def stale_key(request: HttpRequest) -> str:
    language = getattr(request, "LANGUAGE_CODE", "") or ""
    digest = hashlib.sha256(request.get_full_path().encode("utf-8")).hexdigest()[:32]
    return f"stale:v1:{_visitor(request)}:{language}:{digest}"


class StaleIfDatabaseDownMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method != "GET"
            or not request.path.startswith("/api/")
            or request.path.startswith(_SKIPPED_PREFIXES)
        ):
            return response
        if response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
            self._remember(request, response)
        elif response.status_code == 503 and getattr(response, "database_unavailable", False):
            stale = self._recall(request)
            if stale is not None:
                return stale
        return response

    def _remember(self, request: HttpRequest, response: HttpResponse) -> None:
        if getattr(response, "streaming", False):
            return
        key = stale_key(request)
        if key.startswith("stale:v1:unknown:"):
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

    def _recall(self, request: HttpRequest) -> HttpResponse | None:
        try:
            body = redis_client().get(stale_key(request))
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
