"""Plain Redis clients for ``settings.REDIS_URL``, for data that is not a cache entry (feature
store, pointers, tokens, cached rows read together in one round trip), and the connection class
that keeps a hung Redis from holding requests.

A Redis that stops answering would otherwise cost every call its full socket timeout, times
redis-py's default retries with backoff (a 0.25 s timeout became 6.7 s per call). Clients here
never retry a timeout, and :class:`BreakerConnection` fails fast for ``BREAKER_OPEN_SECONDS``
after a timeout or a failed connect to an address: a request meets at most one timeout per process and
second, and the site is normal within about a second of Redis answering again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.connection import Connection
from redis.retry import Retry

# Requests give up quickly and degrade; batch writes may pass a longer timeout.
SERVING_TIMEOUT_SECONDS = 0.25
BREAKER_OPEN_SECONDS = 1.0

_open_until: dict[tuple[str, int], float] = {}


def no_retry() -> Retry:
    """One immediate retry for a dropped connection (a pooled socket the server closed), none for
    a timeout: a hung Redis costs one timeout, not several with backoff."""
    return Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))


def breaker_reset() -> None:
    """Close every breaker (tests)."""
    _open_until.clear()


def breaker_is_open(host: str, port: int) -> bool:
    return time.monotonic() < _open_until.get((host, int(port)), 0.0)


class BreakerConnection(Connection):
    """A Redis connection that stops trying an address for a moment after it timed out or
    refused: the next calls raise ``redis.ConnectionError`` at once (callers already degrade)."""

    def _address(self) -> tuple[str, int]:
        return (str(self.host), int(self.port))

    def _check(self) -> None:
        if time.monotonic() < _open_until.get(self._address(), 0.0):
            raise redis.ConnectionError(
                f"Redis at {self.host}:{self.port} is not answering (retrying shortly)"
            )

    def _trip(self) -> None:
        _open_until[self._address()] = time.monotonic() + BREAKER_OPEN_SECONDS

    def connect(self) -> None:
        self._check()
        try:
            super().connect()
        except (redis.ConnectionError, redis.TimeoutError):
            self._trip()
            raise

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        self._check()
        try:
            super().send_packed_command(command, check_health)
        except redis.TimeoutError:
            self._trip()
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)
        except redis.TimeoutError:
            self._trip()
            raise


# For ``CACHES[...]["OPTIONS"]``: the same behaviour for django-redis.
CACHE_CONNECTION_OPTIONS: dict[str, Any] = {
    "CONNECTION_POOL_KWARGS": {"connection_class": BreakerConnection, "retry": no_retry()},
    "REDIS_CLIENT_KWARGS": {"retry": no_retry()},
}

_clients: dict[tuple[str, float], redis.Redis] = {}
_clients_lock = threading.Lock()


def redis_client(*, timeout: float = SERVING_TIMEOUT_SECONDS) -> redis.Redis:
    """A Redis client for ``settings.REDIS_URL`` (one connection pool per URL and timeout)."""
    url = str(settings.REDIS_URL)
    key = (url, timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = redis.Redis.from_url(  # type: ignore[call-overload]
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                health_check_interval=30,
                connection_class=BreakerConnection,
                retry=no_retry(),
            )
            _clients[key] = client
        return client


class CacheErrorLogFilter(logging.Filter):
    """While Redis is down every cache call logs an ignored error with its traceback (thousands a
    minute, each formatted on a busy worker): let one line a second through per process, without
    the traceback, saying how many were left out."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._next_at = 0.0
        self._dropped = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next_at:
                self._dropped += 1
                return False
            dropped, self._dropped, self._next_at = self._dropped, 0, now + 1.0
        error = record.exc_info[1] if record.exc_info else None
        record.msg = (
            f"cache unavailable: {type(error).__name__ if error else ''} {error or record.getMessage()}"
        )
        if dropped:
            record.msg += f" ({dropped} more in the last second)"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
