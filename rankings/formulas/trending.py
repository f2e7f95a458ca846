"""Trending: the decayed activity counter of ``activity.trending``, narrowed to a filter; on a
quiet site it goes on with the season's airing anime by members (see ``rankings.formulas``)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from activity import trending
from catalog.etl import seasons
from catalog.filters import CatalogFilter
from catalog.selectors import season_airing_filter
from rankings.formulas.base import MAX_RANKED, Ranking, RankingKind, visible_anime

logger = logging.getLogger(__name__)

TRENDING_MIN_ACTIVE = 12


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
    activity = {"basis": "activity"}
    entries = [(anime_id, round(score, 4), activity) for anime_id, score in scores if anime_id in allowed][
        :limit
    ]
    parameters: dict[str, Any] = {
        "half_life_days": trending.HALF_LIFE.days,
        "weights": trending.KIND_WEIGHTS,
        "min_active": TRENDING_MIN_ACTIVE,
        "basis": "activity",
    }
    active = len(entries)
    if active < TRENDING_MIN_ACTIVE:
        airing = trending_airing_entries(filters=filters, now=now, exclude={e[0] for e in entries})
        entries += airing[: max(0, limit - active)]
        if airing:
            parameters["basis"] = "activity+airing" if active else "airing"
            parameters["airing_season"] = airing[0][2]["season"]
    return Ranking(
        kind=RankingKind.TRENDING,
        filters=filters,
        entries=entries,
        parameters=parameters,
        computed_at=now,
        degraded=degraded,
    )


def trending_airing_entries(
    *, filters: CatalogFilter, now: datetime, exclude: set[int]
) -> list[tuple[int, float, dict[str, Any]]]:
    """The anime of this season (began in it or airing during it) by MyAnimeList members: what a
    new site can honestly call trending before its own activity says more. Value: members."""
    current = seasons.current_season(now)
    season = {"season": current.name, "year": current.year}
    rows = (
        visible_anime(filters)
        .filter(season_airing_filter(current))
        .exclude(id__in=exclude)
        .order_by("-members", "id")
        .values_list("id", "members")[:MAX_RANKED]
    )
    return [
        (anime_id, float(members), {"basis": "airing", "members": int(members), "season": season})
        for anime_id, members in rows
    ]
