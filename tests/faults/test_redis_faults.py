"""Redis cut and hung: reads answer (degraded), acknowledged writes are kept, a hang is bounded by
short timeouts without retries, and the site is normal within seconds after."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from animesite.redis import redis_client
from favorites.models import CollectionEntry
from tests.factories import AnimeFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
READS = ["/api/auth/me/", "/api/anime/", "/api/rankings/top/", "/api/rankings/trending/", "/api/home/"]


def _wait_until(check, *, within: float) -> float | None:
    """Seconds until ``check()`` is true, or None if it never was within ``within`` seconds."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        try:
            if check():
                return time.monotonic() - start
        except Exception:
            pass
        time.sleep(0.05)
    return None


def _cache_works() -> bool:
    cache.set("fault-probe", 1, 10)
    return cache.get("fault-probe") == 1


def test_a_hung_redis_costs_one_timeout_not_one_per_call(redis_proxy):
    assert _cache_works()
    redis_proxy.set_mode("hang")
    swallowed_before = redis_proxy.swallowed_chunks
    started = time.monotonic()
    values = [cache.get("fault-probe") for _ in range(20)]
    elapsed = time.monotonic() - started
    assert values == [None] * 20  # misses, never errors
    # One command reached the hung server before the breaker opened (no retries, no backoff).
    assert redis_proxy.swallowed_chunks - swallowed_before <= 3, redis_proxy.swallowed_chunks
    print(f"20 cache reads against a hung Redis: {elapsed:.2f} s")


def test_plain_client_does_not_retry_a_timeout(redis_proxy):
    client = redis_client()
    assert client.ping()
    redis_proxy.set_mode("hang")
    before = redis_proxy.swallowed_chunks
    for _ in range(10):
        with pytest.raises(Exception):  # noqa: B017 - TimeoutError first, then ConnectionError (breaker)
            client.get("x")
    assert redis_proxy.swallowed_chunks - before <= 2


@pytest.mark.parametrize("fault", ["cut", "hang"])
def test_reads_and_writes_during_a_redis_fault_and_recovery(redis_proxy, fault):
    anime = AnimeFactory()
    user = UserFactory.create(username="faulty", password=PASSWORD)
    from rest_framework.test import APIClient

    client = APIClient()
    assert client.post("/api/auth/login/", {"username": "faulty", "password": PASSWORD}).status_code == 200

    redis_proxy.set_mode(fault)
    statuses = [client.get(path).status_code for path in READS]
    write = client.put(f"/api/collection/{anime.id}/", {"status": "watching", "score": 8}, format="json")
    login = APIClient().post("/api/auth/login/", {"username": "faulty", "password": PASSWORD})
    assert all(status < 500 for status in statuses), dict(zip(READS, statuses, strict=True))
    assert login.status_code == 200
    assert write.status_code in (200, 201)
    # acknowledged: stored
    assert CollectionEntry.objects.filter(user=user, anime=anime, score=8).exists()

    redis_proxy.set_mode("pass")
    seconds = _wait_until(_cache_works, within=5)
    assert seconds is not None
    print(f"Redis {fault}: cache normal {seconds:.2f} s after the fault ended")
    after = client.get(f"/api/collection/{anime.id}/")
    assert after.status_code == 200
    assert after.json()["score"] == 8


def test_ignored_cache_errors_are_logged_once_a_second_without_traceback():
    import logging
    import sys

    from animesite.redis import CacheErrorLogFilter

    log_filter = CacheErrorLogFilter()
    try:
        raise ConnectionError("Redis at 127.0.0.1:6379 is not answering")
    except ConnectionError:
        exc_info = sys.exc_info()
    records = [
        logging.LogRecord(
            "django_redis.cache", logging.ERROR, __file__, 1, "Exception ignored", None, exc_info
        )
        for _ in range(50)
    ]
    passed = [record for record in records if log_filter.filter(record)]
    assert len(passed) == 1
    assert passed[0].exc_info is None and passed[0].levelname == "WARNING"
    assert "ConnectionError" in passed[0].getMessage()
    log_filter._next_at = 0.0  # a second later
    later = logging.LogRecord(
        "django_redis.cache", logging.ERROR, __file__, 1, "Exception ignored", None, exc_info
    )
    assert log_filter.filter(later)
    assert "(49 more in the last second)" in later.getMessage()
