"""A slow or absent search engine degrades search, never the site, and search recovers by itself.

The engine gate (``catalog.search.client.EngineGate``) bounds the engine requests in flight per
process and skips an engine that just failed, so the web server's threads stay free for the other
endpoints; one probe per ``SEARCH_BREAKER_SECONDS`` finds it again once it is back.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout

from catalog.search.client import EngineGate, EngineUnavailable, FairSlots, engine_gate
from catalog.search.indexing import delete_index, rebuild_index
from tests.factories import AnimeFactory


@pytest.fixture
def gate(settings) -> EngineGate:
    settings.SEARCH_MAX_CONCURRENCY = 1
    settings.SEARCH_QUEUE_SECONDS = 0.05
    settings.SEARCH_BREAKER_SECONDS = 0.3
    return EngineGate()


def test_requests_beyond_the_concurrency_limit_do_not_wait_for_the_engine(gate):
    # given one request holding the only engine slot
    release = threading.Event()
    holder = threading.Thread(target=lambda: gate.call(lambda: release.wait(5)))
    holder.start()
    time.sleep(0.1)
    calls: list[int] = []
    # when another request comes, then it gives up without calling the engine
    with pytest.raises(EngineUnavailable):
        gate.call(lambda: calls.append(1))
    release.set()
    holder.join()
    assert calls == []
    # and once the slot is free the engine is asked again
    assert gate.call(lambda: 42) == 42


def test_a_failed_engine_is_skipped_then_probed_and_found_again(gate):
    calls: list[str] = []

    def down() -> None:
        calls.append("down")
        raise TransportConnectionError("connection refused")

    # when the engine fails once
    with pytest.raises(TransportConnectionError):
        gate.call(down)
    # then the next requests skip it at once (no request reaches it) ...
    for _ in range(3):
        with pytest.raises(EngineUnavailable):
            gate.call(lambda: calls.append("skipped?"))
    assert calls == ["down"]
    # ... until the breaker time has passed: one probe, and an answer closes the breaker
    time.sleep(0.35)
    assert gate.call(lambda: "up") == "up"
    assert gate.call(lambda: "up again") == "up again"
    assert not gate.is_open()


def test_one_timeout_does_not_open_the_breaker_two_in_a_row_do(gate):
    def slow() -> None:
        raise ConnectionTimeout("timed out")

    with pytest.raises(ConnectionTimeout):
        gate.call(slow)
    assert not gate.is_open()
    assert gate.call(lambda: "answered") == "answered"  # resets the count
    with pytest.raises(ConnectionTimeout):
        gate.call(slow)
    assert not gate.is_open()
    with pytest.raises(ConnectionTimeout):
        gate.call(slow)
    assert gate.is_open()


def test_an_error_answer_does_not_open_the_breaker(gate):
    with pytest.raises(ValueError):
        gate.call(lambda: (_ for _ in ()).throw(ValueError("bad request")))
    assert gate.call(lambda: "fine") == "fine"


@pytest.fixture
def silent_server(search_server_silent, settings) -> list[socket.socket]:
    """A hung engine (``search_server_silent``) and a breaker that stays open once tripped."""
    settings.SEARCH_BREAKER_SECONDS = 30
    return search_server_silent


@pytest.mark.django_db
def test_a_hung_engine_costs_two_timeouts_then_searches_answer_from_the_database(api_client, silent_server):
    AnimeFactory(title="Shingeki no Kyojin", members=10)
    # when five searches and suggestions come while the engine hangs
    bodies = [api_client.get("/api/search/", {"q": "shingeki"}).json() for _ in range(3)]
    bodies += [api_client.get("/api/search/suggest/", {"q": "shin"}).json() for _ in range(2)]
    # then every answer is the database's, marked degraded, and only the first two requests waited
    # on the engine (two timeouts in a row open the breaker): the others did not hold a thread
    assert all(b["degraded"] for b in bodies)
    assert [r["title"] for r in bodies[0]["results"]] == ["Shingeki no Kyojin"]
    assert len(silent_server) == 2


@pytest.mark.django_db
@pytest.mark.search
def test_search_is_normal_again_within_the_breaker_time_after_the_engine_returns(api_client, settings):
    AnimeFactory(title="Steins;Gate", members=10)
    delete_index()
    rebuild_index(progress=False)
    settings.SEARCH_BREAKER_SECONDS = 0.5
    real = settings.ELASTICSEARCH_DSL
    try:
        # given the engine cut (nothing listens on port 9)
        settings.ELASTICSEARCH_DSL = {"default": {"hosts": "http://127.0.0.1:9/", "max_retries": 0}}
        assert api_client.get("/api/search/", {"q": "steins"}).json()["degraded"] is True
        # when it is back, answers stay degraded only until the breaker lets a probe through
        settings.ELASTICSEARCH_DSL = real
        assert engine_gate.is_open()
        time.sleep(0.6)
        body = api_client.get("/api/search/", {"q": "SteinsGate"}).json()
        assert body["degraded"] is False
        assert [r["title"] for r in body["results"]] == ["Steins;Gate"]
    finally:
        settings.ELASTICSEARCH_DSL = real
        delete_index()


def test_a_freed_slot_goes_to_the_longest_waiting_request_not_a_newcomer():
    # given the only slot taken and two requests waiting for it, in this order
    slots = FairSlots(1)
    assert slots.acquire(timeout=0, max_waiting=4)
    got: list[str] = []
    waiters = []
    for name in ("first", "second"):
        thread = threading.Thread(
            target=lambda name=name: got.append(name) if slots.acquire(timeout=10, max_waiting=4) else None
        )
        thread.start()
        waiters.append(thread)
        for _ in range(2000):
            if slots.waiting == len(waiters):
                break
            time.sleep(0.005)
    # when the slot is freed, a newcomer asking at that moment does not get it
    slots.release()
    assert not slots.acquire(timeout=0, max_waiting=4)
    # and the waiters get it in their order, one after the other
    waiters[0].join(10)
    assert got == ["first"]
    slots.release()
    waiters[1].join(10)
    assert got == ["first", "second"]


def test_requests_beyond_the_waiting_limit_answer_at_once(gate, settings):
    # given the only slot held and one request already waiting (a long queue time)
    settings.SEARCH_MAX_WAITING = 1
    settings.SEARCH_QUEUE_SECONDS = 30
    entered, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=lambda: gate.call(lambda: entered.set() or release.wait(10)))
    holder.start()
    assert entered.wait(10)
    waiter = threading.Thread(target=lambda: gate.call(lambda: "served"))
    waiter.start()
    for _ in range(2000):
        if gate.waiting == 1:
            break
        time.sleep(0.005)
    assert gate.waiting == 1
    # when one more comes, then it gives up without waiting, while the first still waits
    with pytest.raises(EngineUnavailable):
        gate.call(lambda: "never")
    assert gate.waiting == 1
    release.set()
    holder.join(10)
    waiter.join(10)
    assert gate.waiting == 0
