"""Most favourited, ties broken by 10/10 scores then members (see ``rankings.formulas``)."""

from __future__ import annotations

from django.db.models import Count, Max, Q

from catalog.filters import CatalogFilter
from rankings.formulas.base import MAX_RANKED, Ranking, RankingKind, collection_entries_of


def favorites_compute(*, filters: CatalogFilter, limit: int = MAX_RANKED) -> Ranking:
    rows = (
        collection_entries_of(filters)
        .filter(Q(is_favorite=True) | Q(score=10))
        .values("anime_id")
        .annotate(
            fav=Count("id", filter=Q(is_favorite=True)),
            perfect=Count("id", filter=Q(score=10)),
            members=Max("anime__members"),
        )
        .order_by("-fav", "-perfect", "-members", "anime_id")
        .values_list("anime_id", "fav", "perfect")[:limit]
    )
    entries = [
        (anime_id, float(fav), {"favorites": int(fav), "perfect_scores": int(perfect)})
        for anime_id, fav, perfect in rows
    ]
    return Ranking(
        kind=RankingKind.FAVORITES,
        filters=filters,
        entries=entries,
        parameters={"tie_break": ["perfect_scores", "members"]},
    )
