"""The search-server client and the errors that make search degrade to the database."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError, Elasticsearch

# Anything the client raises when the server is down, slow, missing the index or rejecting a
# request: search answers from the database instead of failing.
ENGINE_ERRORS: tuple[type[Exception], ...] = (TransportError, ApiError)

T = TypeVar("T")

# Timeouts in a row that open the breaker (a connection failure opens it at once).
TIMEOUTS_TO_OPEN = 2

_clients: dict[str, Elasticsearch] = {}
_lock = threading.Lock()


def search_client() -> Elasticsearch:
    """One pooled client per configuration (``settings.ELASTICSEARCH_DSL["default"]``)."""
    config: dict[str, Any] = dict(settings.ELASTICSEARCH_DSL["default"])
    key = repr(sorted(config.items()))
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = Elasticsearch(**config)
                _clients[key] = client
    return client


def query_client() -> Elasticsearch:
    """The client for user-facing reads: a short timeout and no retries."""
    return search_client().options(request_timeout=settings.SEARCH_TIMEOUT_SECONDS, max_retries=0)


def indexing_client() -> Elasticsearch:
    """The client for writes and rebuilds: bulk requests may take longer than a search."""
    return search_client().options(request_timeout=settings.SEARCH_INDEXING_TIMEOUT_SECONDS)


# --- admission: a slow or absent engine must not hold the web server's threads -----------------


class EngineUnavailable(Exception):
    """The engine is not asked: too many requests already wait on it, or it failed just now."""


class FairSlots:
    """A counting semaphore that serves waiters in arrival order, each with a deadline.

    A freed slot passes straight to the request that has waited longest; a newcomer never takes it
    first. (``threading.Semaphore`` lets whoever runs first take a freed slot, so with a serial
    engine one unlucky request could be overtaken again and again until its deadline passed.)
    At most ``max_waiting`` requests wait; more give up at once, so waiting searches never hold
    every thread of a web worker.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._free = size
        self._waiters: deque[threading.Event] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def acquire(self, *, timeout: float, max_waiting: int) -> bool:
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return True
            if len(self._waiters) >= max_waiting:
                return False
            ticket = threading.Event()
            self._waiters.append(ticket)
        if ticket.wait(timeout):
            return True
        with self._lock:
            if ticket.is_set():  # handed over just as the wait ran out
                return True
            self._waiters.remove(ticket)
            return False

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # the slot passes on, still taken
            else:
                self._free += 1


class EngineGate:
    """At most ``SEARCH_MAX_CONCURRENCY`` engine requests per process, and a circuit breaker.

    - Requests wait for a slot in arrival order (:class:`FairSlots`), each at most
      ``SEARCH_QUEUE_SECONDS``, then give up (:class:`EngineUnavailable`: the caller answers from
      the database, marked degraded); with ``SEARCH_MAX_WAITING`` already waiting a request gives
      up at once.
    - A connection failure, or a second timeout in a row (one slow answer on a busy machine is not
      an outage), opens the breaker for ``SEARCH_BREAKER_SECONDS``: requests skip the engine at
      once instead of each waiting for the timeout. After that, one request at
      a time probes it; the first success closes the breaker, so search is normal again within
      about ``SEARCH_BREAKER_SECONDS`` of the engine's return.
    - An error answer (4xx/5xx from a live engine) does not open the breaker.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: FairSlots | None = None
        self._open_until = 0.0
        self._probing = False
        self._timeouts = 0

    def _semaphore(self) -> FairSlots:
        size = max(1, int(settings.SEARCH_MAX_CONCURRENCY))
        with self._lock:
            if self._slots is None or self._slots.size != size:
                self._slots = FairSlots(size)
            return self._slots

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        return self._slots.waiting if self._slots is not None else 0

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()`` under the gate; raises :class:`EngineUnavailable` or ``fn``'s own error."""
        probe = False
        with self._lock:
            if self._open_until:
                if time.monotonic() < self._open_until or self._probing:
                    raise EngineUnavailable("the search engine failed moments ago")
                self._probing = probe = True
        slots = self._semaphore()
        timeout = float(settings.SEARCH_QUEUE_SECONDS)
        asked = time.monotonic()
        if not slots.acquire(timeout=timeout, max_waiting=int(settings.SEARCH_MAX_WAITING)):
            if probe:
                with self._lock:
                    self._probing = False
            if time.monotonic() - asked < timeout:
                raise EngineUnavailable("too many searches are already waiting for the search engine")
            raise EngineUnavailable("no search engine slot within SEARCH_QUEUE_SECONDS")
        try:
            result = fn()
        except ConnectionTimeout:
            with self._lock:
                self._timeouts += 1
                repeated = self._timeouts >= TIMEOUTS_TO_OPEN
            if repeated or probe:
                self._trip()
            raise
        except TransportError:  # unreachable
            self._trip()
            raise
        except BaseException:
            self._close()  # it answered, even if with an error
            raise
        finally:
            slots.release()
        self._close()
        return result

    def _trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + float(settings.SEARCH_BREAKER_SECONDS)
            self._probing = False
            self._timeouts = 0

    def _close(self) -> None:
        if self._open_until or self._probing or self._timeouts:
            with self._lock:
                self._open_until = 0.0
                self._probing = False
                self._timeouts = 0

    def reset(self) -> None:
        """Close the breaker (tests)."""
        self._close()


engine_gate = EngineGate()
