"""Keeping the cached leaderboards fresh."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.core.cache import cache

from catalog.filters import CatalogFilter
from rankings.selectors import (
    RankingKind,
    ranking_cache_key,
    ranking_cache_ttl,
    ranking_compute,
    ranking_hot_specs,
)

logger = logging.getLogger(__name__)


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
