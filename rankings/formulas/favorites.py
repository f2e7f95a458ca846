"""Most favourited: the people who love an anime, site and MyAnimeList users apart (see
``rankings.formulas``)."""

from __future__ import annotations

from django.db.models import Count, Max, Q

from activity.models import Source
from catalog.filters import CatalogFilter
from rankings.formulas.base import MAX_RANKED, Ranking, RankingKind, collection_entries_of


def favorites_compute(*, filters: CatalogFilter, limit: int = MAX_RANKED) -> Ranking:
    dataset = Q(source=Source.DATASET)
    rows = (
        collection_entries_of(filters)
        .filter(Q(is_favorite=True) | Q(score=10))
        .values("anime_id")
        .annotate(
            loved=Count("id"),
            fav=Count("id", filter=Q(is_favorite=True)),
            perfect=Count("id", filter=Q(score=10)),
            mal=Count("id", filter=dataset),
            members=Max("anime__members"),
        )
        .order_by("-loved", "-fav", "-members", "anime_id")
        .values_list("anime_id", "loved", "fav", "perfect", "mal")[:limit]
    )
    entries = [
        (
            anime_id,
            float(loved),
            {
                "loved": int(loved),
                "favorites": int(fav),
                "perfect_scores": int(perfect),
                "site_users": int(loved) - int(mal),
                "mal_users": int(mal),
            },
        )
        for anime_id, loved, fav, perfect, mal in rows
    ]
    return Ranking(
        kind=RankingKind.FAVORITES,
        filters=filters,
        entries=entries,
        parameters={"counts": ["favorites", "perfect_scores"], "tie_break": ["favorites", "members"]},
    )
