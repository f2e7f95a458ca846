"""Keeping the cached leaderboards fresh: the refresh task and the filter combinations in use.

The combinations asked for lately live in a Redis sorted set (``<prefix>:rankings:v1:hot``,
member ``"<kind>|<filter key>"``, score the Unix time of the last request).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from catalog.filters import CatalogFilter
from rankings.formulas import ranking_compute
from rankings.formulas.base import CACHE_VERSION, RankingKind
from rankings.selectors import ranking_cache_key, ranking_cache_ttl

logger = logging.getLogger(__name__)

HOT_SPECS_WINDOW = 60 * 60
MAX_HOT_SPECS = 200


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _hot_key() -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:rankings:{CACHE_VERSION}:hot"


def ranking_mark_requested(*, kind: str, filters: CatalogFilter, now: datetime | None = None) -> None:
    """Remember that this filter combination is in use, so the beat task keeps it warm."""
    if not filters.key():
        return
    spec = f"{kind}|{filters.key()}"
    try:
        _redis().zadd(_hot_key(), {spec: (now or timezone.now()).timestamp()})
    except Exception:
        logger.debug("could not remember ranking filters", exc_info=True)


def ranking_hot_specs(*, now: datetime | None = None) -> list[tuple[str, CatalogFilter]]:
    """Filter combinations asked for within ``HOT_SPECS_WINDOW``, most recent first."""
    since = (now or timezone.now()).timestamp() - HOT_SPECS_WINDOW
    try:
        client = _redis()
        client.zremrangebyscore(_hot_key(), "-inf", since)
        raw = client.zrevrange(_hot_key(), 0, MAX_HOT_SPECS - 1)
    except Exception:
        logger.warning("could not read the requested ranking filters", exc_info=True)
        return []
    specs = []
    for item in raw:
        kind, _, key = (item.decode() if isinstance(item, bytes) else item).partition("|")
        if kind in RankingKind.__members__.values():
            specs.append((kind, CatalogFilter.from_key(key)))
    return specs


def rankings_refresh(*, now: datetime | None = None, include_requested: bool = True) -> dict[str, int]:
    """Recompute the unfiltered rankings and the filter combinations asked for lately; cache them.

    Returns how many rankings were refreshed and how many failed (a failure is logged and the
    previous cached copy stays until it expires).
    """
    specs: list[tuple[str, CatalogFilter]] = [(kind.value, CatalogFilter()) for kind in RankingKind]
    if include_requested:
        specs += ranking_hot_specs(now=now)
    refreshed = failed = 0
    started = time.monotonic()
    for position, (kind, filters) in enumerate(specs, start=1):
        try:
            ranking = ranking_compute(kind=kind, filters=filters, now=now)
        except Exception:
            logger.exception("ranking %s %s could not be computed", kind, filters.key())
            failed += 1
            continue
        cache.set(
            ranking_cache_key(kind=kind, filters=filters), ranking.to_cache(), ranking_cache_ttl(ranking)
        )
        refreshed += 1
        logger.info(
            "rankings refresh %d/%d: %s [%s] %d entries (%.1f s)",
            position,
            len(specs),
            kind,
            filters.key() or "all",
            len(ranking.entries),
            time.monotonic() - started,
        )
    return {"refreshed": refreshed, "failed": failed}
