"""Plain Redis clients for ``settings.REDIS_URL``, for data that is not a cache entry (feature
store, pointers, tokens, cached rows read together in one round trip)."""

from __future__ import annotations

import threading

import redis
from django.conf import settings

# Requests give up quickly and degrade; batch writes may pass a longer timeout.
SERVING_TIMEOUT_SECONDS = 0.25

_clients: dict[tuple[str, float], redis.Redis] = {}
_clients_lock = threading.Lock()


def redis_client(*, timeout: float = SERVING_TIMEOUT_SECONDS) -> redis.Redis:
    """A Redis client for ``settings.REDIS_URL`` (one connection pool per URL and timeout)."""
    url = str(settings.REDIS_URL)
    key = (url, timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = redis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                health_check_interval=30,
            )
            _clients[key] = client
        return client
