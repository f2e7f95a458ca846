"""Trending: the decayed activity counter of ``activity.trending``, narrowed to a filter; on a
quiet site it goes on with the season's airing anime by members (see ``rankings.formulas``)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from activity import trending
from catalog.filters import CatalogFilter
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
    """The anime airing this season by MyAnimeList members: what a new site can honestly call
    trending before its own activity says more. "This season" is the current season, or the latest
    earlier one with at least ``SEASON_MIN_ANIME`` visible anime. Value: members."""
    from rankings.home import SEASON_MIN_ANIME, season_latest_with_anime, season_of

    current_season, current_year = season_of(now)
    shown = season_latest_with_anime(season=current_season, year=current_year, min_anime=SEASON_MIN_ANIME)
    if shown is None:
        return []
    season = {"season": shown[0], "year": shown[1]}
    rows = (
        visible_anime(filters)
        .filter(season=shown[0], year=shown[1])
        .exclude(id__in=exclude)
        .order_by("-members", "id")
        .values_list("id", "members")[:MAX_RANKED]
    )
    return [
        (anime_id, float(members), {"basis": "airing", "members": int(members), "season": season})
        for anime_id, members in rows
    ]
