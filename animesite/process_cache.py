"""A tiny per-process cache with expiry, for small read-mostly data that every request needs."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

_MISSING = object()


class ProcessCache:
    """Values with a time-to-live, shared by the threads of one process.

    Bounded: past ``max_entries`` the expired entries are dropped, and everything if that is not
    enough (the data is cheap to rebuild; the bound only protects memory).
    """

    def __init__(self, *, max_entries: int = 100_000) -> None:
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: Hashable, default: Any = None) -> Any:
        hit = self._values.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return default

    def set(self, key: Hashable, value: Any, ttl: float) -> None:
        """Keep ``value`` for ``ttl`` seconds, stretched by up to 10 % at random so that entries
        filled together do not all expire in the same second."""
        expires = time.monotonic() + ttl * (1.0 + 0.1 * random.random())
        with self._lock:
            if len(self._values) >= self.max_entries:
                self._prune()
            self._values[key] = (expires, value)

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [k for k, (expires, _) in self._values.items() if expires <= now]:
            del self._values[key]
        if len(self._values) >= self.max_entries:
            self._values.clear()

    def get_or_set(self, key: Hashable, ttl: float, factory: Callable[[], T]) -> T:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = factory()
            self.set(key, value, ttl)
        result: T = value
        return result

    def get_many(
        self, keys: Sequence[K], ttl: float, loader: Callable[[list[K]], dict[K, Any]]
    ) -> dict[K, Any]:
        """Values for ``keys``; the missing or expired ones come from one ``loader(missing)`` call.

        A key the loader does not return is cached as ``None`` (a known miss).
        """
        now = time.monotonic()
        found: dict[K, Any] = {}
        missing: list[K] = []
        for key in keys:
            hit = self._values.get(key)
            if hit is not None and hit[0] > now:
                found[key] = hit[1]
            else:
                missing.append(key)
        if missing:
            missing = list(dict.fromkeys(missing))
            loaded = loader(missing)
            for key in missing:
                value = loaded.get(key)
                self.set(key, value, ttl)
                found[key] = value
        return found

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


process_cache = ProcessCache()
