"""Identical searches in flight at the same moment share one engine request
(``catalog.search.flights``): in one process, across processes through Redis, and each process on
its own when Redis is gone, without an error or a hang."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from catalog.search.client import EngineUnavailable
from catalog.search.flights import Flights, flights
from catalog.search.queries import SearchQuery
from catalog.search.selectors import SearchPage, search_anime
from tests.factories import AnimeFactory


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for another thread to reach a point (a synchronisation, not a timing assertion)."""
    event = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if condition():
            return
        event.wait(0.005)
    raise AssertionError("the other thread never got there")


def _in_thread(fn: Callable[[], Any], out: list[Any]) -> threading.Thread:
    def target() -> None:
        try:
            out.append(fn())
        except Exception as exc:  # the test asserts on it
            out.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_two_identical_searches_in_flight_share_one_engine_request(search_server_held, settings):
    # given an engine that holds its answers, and no search cache to answer the second search
    settings.SEARCH_CACHE_SECONDS = 0
    anime = AnimeFactory(title="Steins;Gate", members=10)
    search_server_held.hits = [anime.id]
    query = SearchQuery(q="steins gate")
    pages: list[SearchPage] = []
    # when a search is under way at the engine and the same search comes meanwhile
    first = _in_thread(lambda: search_anime(query=query, facets=False), pages)
    assert search_server_held.wait_for_requests(1)
    second = _in_thread(lambda: search_anime(query=query, facets=False), pages)
    _until(lambda: flights.waiting == 1)
    search_server_held.release.set()
    first.join(10)
    second.join(10)
    # then the engine got one request, and both searches answered with its hits
    assert len(search_server_held.requests) == 1
    assert [[r["id"] for r in p.results] for p in pages] == [[anime.id], [anime.id]]
    assert [p.degraded for p in pages] == [False, False]


@pytest.mark.django_db(transaction=True)
def test_different_searches_are_not_coalesced(search_server_held, settings):
    settings.SEARCH_CACHE_SECONDS = 0
    search_server_held.release.set()
    search_anime(query=SearchQuery(q="steins"), facets=False)
    search_anime(query=SearchQuery(q="steins"), facets=True)  # facets: another request body
    search_anime(query=SearchQuery(q="gate"), facets=False)
    assert len(search_server_held.requests) == 3


def _held(release: threading.Event, calls: list[str], name: str, value: Any = "answer") -> Callable[[], Any]:
    def compute() -> Any:
        calls.append(name)
        release.wait(10)
        if isinstance(value, Exception):
            raise value
        return value

    return compute


def test_a_failed_flight_fails_its_waiters_too():
    table, release, calls = Flights(), threading.Event(), []
    key = f"search:flight:test:{uuid.uuid4()}"
    out: list[Any] = []
    failing = _held(release, calls, "leader", ValueError("engine"))
    leader = _in_thread(lambda: table.run(key, failing, wait_seconds=10), out)
    _until(lambda: calls == ["leader"])
    waiter = _in_thread(lambda: table.run(key, _held(release, calls, "waiter"), wait_seconds=10), out)
    _until(lambda: table.waiting == 1)
    release.set()
    leader.join(10)
    waiter.join(10)
    assert calls == ["leader"]
    assert sorted(type(o).__name__ for o in out) == ["EngineUnavailable", "ValueError"]


def test_a_waiter_gives_up_after_its_deadline():
    table, release, calls = Flights(), threading.Event(), []
    key = f"search:flight:test:{uuid.uuid4()}"
    leader = _in_thread(lambda: table.run(key, _held(release, calls, "leader"), wait_seconds=10), [])
    _until(lambda: calls == ["leader"])
    with pytest.raises(EngineUnavailable):
        table.run(key, _held(release, calls, "waiter"), wait_seconds=0.05)
    release.set()
    leader.join(10)
    assert calls == ["leader"]


def test_another_process_waits_for_the_answer_through_redis():
    # given two processes (two flight tables sharing Redis), one asking the engine
    process_a, process_b, release, calls = Flights(), Flights(), threading.Event(), []
    key = f"search:flight:test:{uuid.uuid4()}"
    out_a: list[Any] = []
    out_b: list[Any] = []
    compute_a = _held(release, calls, "a", {"ids": [1, 2]})
    a = _in_thread(lambda: process_a.run(key, compute_a, wait_seconds=10), out_a)
    _until(lambda: calls == ["a"])
    # when the other process asks for the same search meanwhile
    compute_b = _held(release, calls, "b", {"ids": [9]})
    b = _in_thread(lambda: process_b.run(key, compute_b, wait_seconds=10), out_b)
    _until(lambda: process_b.waiting == 1)
    release.set()
    a.join(10)
    b.join(10)
    # then it did not ask the engine, and answered with the first process's answer
    assert calls == ["a"]
    assert out_a == out_b == [{"ids": [1, 2]}]
    # and the next search of that key, once the flight landed, asks the engine again
    assert process_b.run(key, lambda: "fresh", wait_seconds=10) == "fresh"


class _RedisDown:
    """A cache whose Redis is unreachable: every call raises, as a cache without
    ``IGNORE_EXCEPTIONS`` does."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("Redis is down")

        return fail


class _RedisIgnored:
    """A cache that swallows Redis errors (django-redis with ``IGNORE_EXCEPTIONS``): nothing is
    ever added or found."""

    def add(self, *args: Any, **kwargs: Any) -> None:
        return None

    def get_many(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {}

    def set(self, *args: Any, **kwargs: Any) -> None:
        return None

    def delete(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.mark.parametrize("broken", [_RedisDown, _RedisIgnored])
def test_without_redis_each_process_asks_alone_and_threads_still_share(broken):
    process_a, process_b = Flights(cache_backend=broken()), Flights(cache_backend=broken())
    release, calls = threading.Event(), []
    key = f"search:flight:test:{uuid.uuid4()}"
    out: list[Any] = []
    a = _in_thread(lambda: process_a.run(key, _held(release, calls, "a", "A"), wait_seconds=10), out)
    _until(lambda: calls == ["a"])
    compute_again = _held(release, calls, "a again", "A")
    a_again = _in_thread(lambda: process_a.run(key, compute_again, wait_seconds=10), out)
    _until(lambda: process_a.waiting == 1)
    b = _in_thread(lambda: process_b.run(key, _held(release, calls, "b", "B"), wait_seconds=10), out)
    _until(lambda: "b" in calls)
    release.set()
    for thread in (a, a_again, b):
        thread.join(10)
    # the other process could not see the flight and asked the engine itself; no error, no hang
    assert sorted(calls) == ["a", "b"]
    assert sorted(out) == ["A", "A", "B"]
