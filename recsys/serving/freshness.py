"""Per-process serving caches follow the catalogue: an operator's edit reaches every process.

The per-process caches (cards, hidden anime, popular lists, reused answers) are all derived from
catalogue rows. Every entry point of serving calls :func:`catalogue_check`, which re-reads the
catalogue generation (:func:`catalog.selectors.catalog_generation`, renewed after each committed
edit) at most every ``CHECK_INTERVAL_SECONDS`` and empties the process cache when it moved. So a
hidden or edited anime leaves every list within seconds, and the caches can otherwise live long.
"""

from __future__ import annotations

import logging
import threading
import time

from animesite.process_cache import process_cache
from catalog.selectors import catalog_generation

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 3.0

_lock = threading.Lock()
_seen: str | None = None
_checked_at = float("-inf")


def catalogue_check() -> None:
    """Empty the process cache if the catalogue changed since the last look (cheap per call)."""
    global _seen, _checked_at
    if time.monotonic() - _checked_at < CHECK_INTERVAL_SECONDS:
        return
    if not _lock.acquire(blocking=False):
        return  # another thread is looking
    try:
        _checked_at = time.monotonic()
        try:
            current = catalog_generation()
        except Exception:
            logger.warning("catalogue generation unreadable; caches expire on their own", exc_info=True)
            return
        if _seen is not None and current != _seen:
            process_cache.clear()
        _seen = current
    finally:
        _lock.release()


def catalogue_check_reset() -> None:
    """Forget what was seen (tests)."""
    global _seen, _checked_at
    with _lock:
        _seen = None
        _checked_at = float("-inf")
