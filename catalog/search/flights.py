"""Request coalescing: identical searches in flight at the same moment share one engine request.

The engine shipped for one machine answers one search at a time, so every duplicate request adds
a whole search to everybody's wait. A *flight* is one engine request for one key (the search's
cache key: the catalogue generation and the request body); whoever asks for a key while its flight
is under way waits for that flight's answer instead of sending the request again.

- **In the process:** the first thread to ask leads, the others wait on an event for its answer
  (or its failure, which they share: they answer from the database as the leader does).
- **Across processes (Redis):** the leading thread takes a short lock (``cache.add``). A leader
  that finds the lock taken by another process waits for the answer that process publishes
  (polling the cache every few tens of milliseconds). The lock expires on its own, so a process
  that dies mid-flight blocks nobody for long; when it vanished without an answer, the waiter
  asks the engine itself.
- **Without Redis** (down, timing out, or refusing) every process leads its own flights: the
  in-process layer still works, nothing waits on Redis beyond its socket timeout, no error
  reaches the user.

Nobody waits longer than ``wait_seconds`` (the longest a leader can take: the engine gate's queue
plus its timeouts); past it a waiter gives up (:class:`~catalog.search.client.EngineUnavailable`,
so the caller degrades to the database as for any engine failure).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache

from catalog.search.client import EngineUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Polling interval of a waiter in another process: the first checks come quickly (an answer often
# lands a moment later), then no more often than this.
POLL_SECONDS = (0.01, 0.02, 0.03, 0.05)
# How long a published answer stays for the waiters to read it (it is not a cache: a request
# arriving after the flight landed starts its own, or reads the search cache).
ANSWER_SECONDS = 10


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


class Flights:
    """A table of flights in progress; one per process (:data:`flights`), more in tests."""

    def __init__(self, cache_backend: Any = None) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self._cache = cache_backend
        self.waiting = 0  # requests waiting on another's flight now (tests, diagnostics)
        self.shared = 0  # answers taken from another's flight since the start

    @property
    def cache(self) -> Any:
        return self._cache if self._cache is not None else cache

    def run(self, key: str, compute: Callable[[], T], *, wait_seconds: float) -> T:
        """``compute()``, or the answer of the flight already under way for ``key``."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            return self._wait_local(flight, wait_seconds)
        try:
            flight.value = self._run_shared(key, compute, wait_seconds=wait_seconds)
            return flight.value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def _wait_local(self, flight: _Flight, wait_seconds: float) -> Any:
        with self._lock:
            self.waiting += 1
        try:
            landed = flight.done.wait(wait_seconds)
        finally:
            with self._lock:
                self.waiting -= 1
        if not landed:
            raise EngineUnavailable("an identical search is still waiting for the search engine")
        if flight.error is not None:
            raise EngineUnavailable("an identical search failed just now") from flight.error
        with self._lock:
            self.shared += 1
        return flight.value

    # --- across processes ---------------------------------------------------------------------

    def _run_shared(self, key: str, compute: Callable[[], T], *, wait_seconds: float) -> T:
        lock_key, answer_key = f"{key}:lock", f"{key}:answer"
        deadline = time.monotonic() + wait_seconds
        while True:
            if self._take(lock_key, wait_seconds):
                return self._lead(lock_key, answer_key, compute)
            outcome = self._wait_remote(lock_key, answer_key, deadline)
            if outcome is not None:
                if "error" in outcome:
                    raise EngineUnavailable("an identical search failed just now in another process")
                with self._lock:
                    self.shared += 1
                return outcome["value"]
            if time.monotonic() >= deadline:
                raise EngineUnavailable("an identical search is still waiting for the search engine")
            # The other process vanished without an answer: ask again (lead, or wait on a newer flight).

    def _take(self, lock_key: str, wait_seconds: float) -> bool:
        """Whether this process leads: the lock taken now, or Redis not answering (lead alone)."""
        try:
            added = self.cache.add(lock_key, 1, timeout=max(1, math.ceil(wait_seconds)))
        except Exception:
            logger.debug("search flight lock unavailable; asking the engine alone", exc_info=True)
            return True
        return added is not False  # None: the cache ignored a Redis error

    def _lead(self, lock_key: str, answer_key: str, compute: Callable[[], T]) -> T:
        try:
            value = compute()
        except BaseException:
            self._publish(answer_key, {"error": True})
            self._release(lock_key)
            raise
        self._publish(answer_key, {"value": value})
        self._release(lock_key)
        return value

    def _publish(self, answer_key: str, outcome: dict[str, Any]) -> None:
        try:
            self.cache.set(answer_key, outcome, timeout=ANSWER_SECONDS)
        except Exception:
            logger.debug("search flight answer not published", exc_info=True)

    def _release(self, lock_key: str) -> None:
        try:
            self.cache.delete(lock_key)
        except Exception:
            logger.debug("search flight lock not released (it expires)", exc_info=True)

    def _wait_remote(self, lock_key: str, answer_key: str, deadline: float) -> dict[str, Any] | None:
        """The answer another process published, or ``None`` when its lock went without one (or
        the deadline passed)."""
        with self._lock:
            self.waiting += 1
        try:
            polls = 0
            while time.monotonic() < deadline:
                try:
                    found = self.cache.get_many([answer_key, lock_key])
                except Exception:
                    return None  # Redis went away: nobody can publish to us
                if answer_key in found:
                    return found[answer_key]
                if lock_key not in found:
                    return None
                pause = POLL_SECONDS[min(polls, len(POLL_SECONDS) - 1)]
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
                polls += 1
            return None
        finally:
            with self._lock:
                self.waiting -= 1


flights = Flights()
"""This process's flights."""
