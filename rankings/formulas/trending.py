"""Trending: the decayed activity counter of ``activity.trending``, narrowed to a filter."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from activity import trending
from catalog.filters import CatalogFilter
from rankings.formulas.base import MAX_RANKED, Ranking, RankingKind, visible_anime

logger = logging.getLogger(__name__)


def trending_compute(
    *, filters: CatalogFilter, limit: int = MAX_RANKED, now: datetime | None = None
) -> Ranking:
    now = now or trending.default_clock()
    degraded = False
    try:
        scores = trending.trending_scores(now=now)
    except trending.TrendingUnavailable:
        logger.warning("trending sorted set unreachable; computing trending from the behaviour log")
        scores = trending.trending_scores_from_db(now=now)
        degraded = True
    allowed: set[int] = set()
    ids = [anime_id for anime_id, _ in scores]
    for start in range(0, len(ids), 1000):
        allowed.update(
            visible_anime(filters).filter(id__in=ids[start : start + 1000]).values_list("id", flat=True)
        )
    no_details: dict[str, Any] = {}
    entries = [(anime_id, round(score, 4), no_details) for anime_id, score in scores if anime_id in allowed][
        :limit
    ]
    return Ranking(
        kind=RankingKind.TRENDING,
        filters=filters,
        entries=entries,
        parameters={"half_life_days": trending.HALF_LIFE.days, "weights": trending.KIND_WEIGHTS},
        computed_at=now,
        degraded=degraded,
    )
