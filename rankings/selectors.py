"""Reading leaderboards: from the cache, computed on a miss (formulas in ``rankings.formulas``).

Results live in the cache for ``CACHE_TTL`` (``TRENDING_CACHE_TTL`` for trending,
``DEGRADED_CACHE_TTL`` for an answer computed while Redis was down); a Celery beat task recomputes
the unfiltered rankings and every filter combination asked for in the last hour
(``rankings.services.rankings_refresh``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.cache import cache

from catalog.filters import CatalogFilter
from catalog.selectors import anime_cards
from rankings.formulas import ranking_compute
from rankings.formulas.base import (
    CACHE_TTL,
    CACHE_VERSION,
    DEGRADED_CACHE_TTL,
    TRENDING_CACHE_TTL,
    Ranking,
    RankingKind,
    ranking_filters_dict,
)

__all__ = ["CACHE_VERSION", "RankingKind", "ranking_filters_dict"]

logger = logging.getLogger(__name__)


def ranking_cache_key(*, kind: str, filters: CatalogFilter) -> str:
    return f"rankings:{CACHE_VERSION}:{kind}:{filters.key()}"


def ranking_cache_ttl(ranking: Ranking) -> int:
    if ranking.degraded:
        return DEGRADED_CACHE_TTL
    return TRENDING_CACHE_TTL if ranking.kind == RankingKind.TRENDING else CACHE_TTL


def ranking_get(
    *, kind: str, filters: CatalogFilter, now: datetime | None = None, use_cache: bool = True
) -> Ranking:
    """The ranking from the cache, computed (and cached) on a miss."""
    key = ranking_cache_key(kind=kind, filters=filters)
    if use_cache:
        cached = cache.get(key)
        if isinstance(cached, dict):
            try:
                return Ranking.from_cache(cached)
            except (KeyError, TypeError, ValueError):
                logger.warning("discarding a malformed cached ranking %s", key)
    ranking = ranking_compute(kind=kind, filters=filters, now=now)
    cache.set(key, ranking.to_cache(), timeout=ranking_cache_ttl(ranking))
    return ranking


def ranking_page_cards(
    *, entries: Sequence[tuple[int, float, dict[str, Any]]], first_rank: int, language: str | None = None
) -> list[dict[str, Any]]:
    """Cards for one page of a ranking, each with its ``rank``, ``value`` and ``details``."""
    cards = {card["id"]: card for card in anime_cards(anime_ids=[e[0] for e in entries], language=language)}
    results = []
    for offset, (anime_id, value, details) in enumerate(entries):
        card = cards.get(anime_id)
        if card is not None:  # hidden since the ranking was computed
            results.append({**card, "rank": first_rank + offset, "value": value, "details": details})
    return results
