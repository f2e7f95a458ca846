"""A tiny per-process cache with expiry, for small read-mostly data that every request needs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class ProcessCache:
    """``get_or_set`` with a time-to-live; values are shared by the threads of one process."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get_or_set(self, key: str, ttl: float, factory: Callable[[], T]) -> T:
        now = time.monotonic()
        hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            value: T = hit[1]
            return value
        value = factory()
        with self._lock:
            self._values[key] = (now + ttl, value)
        return value

    def get_many(
        self, keys: Sequence[str], ttl: float, loader: Callable[[list[str]], dict[str, Any]]
    ) -> dict[str, Any]:
        """Values for ``keys``; the missing or expired ones come from one ``loader(missing)`` call.

        A key the loader does not return is cached as ``None`` (a known miss).
        """
        now = time.monotonic()
        found: dict[str, Any] = {}
        missing: list[str] = []
        for key in keys:
            hit = self._values.get(key)
            if hit is not None and hit[0] > now:
                found[key] = hit[1]
            elif key not in found:
                missing.append(key)
        if missing:
            missing = list(dict.fromkeys(missing))
            loaded = loader(missing)
            with self._lock:
                for key in missing:
                    value = loaded.get(key)
                    self._values[key] = (now + ttl, value)
                    found[key] = value
        return found

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


process_cache = ProcessCache()
