"""Most popular: members and collections, each scaled by its maximum (see ``rankings.formulas``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, FloatField, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce

from catalog.filters import CatalogFilter
from catalog.models import Anime
from favorites.models import CollectionEntry
from rankings.formulas.base import MAX_RANKED, Ranking, RankingKind, global_constants, visible_anime


def popular_parameters() -> dict[str, Any]:
    """The largest member count and the largest collection count among visible anime."""
    max_members = Anime.objects.visible().order_by("-members").values_list("members", flat=True).first() or 0
    max_collections = (
        CollectionEntry.objects.filter(anime__is_hidden=False)
        .values("anime_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    ) or 0
    return {"max_members": max_members, "max_collections": max_collections, "weights": [0.5, 0.5]}


def popular_compute(*, filters: CatalogFilter, limit: int = MAX_RANKED) -> Ranking:
    params = global_constants("popular", popular_parameters, fresh=not filters.key())
    max_members, max_collections = params["max_members"], params["max_collections"]
    collections = Coalesce(
        Subquery(
            CollectionEntry.objects.filter(anime_id=OuterRef("pk"))
            .order_by()
            .values("anime_id")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )
    members_part = Cast(F("members"), FloatField()) / Value(float(max_members)) if max_members else Value(0.0)
    collections_part = (
        Cast(F("n"), FloatField()) / Value(float(max_collections)) if max_collections else Value(0.0)
    )
    rows = (
        visible_anime(filters)
        .annotate(n=collections)
        .filter(Q(members__gt=0) | Q(n__gt=0))
        .annotate(pop=Value(0.5) * members_part + Value(0.5) * collections_part)
        .order_by("-pop", "-members", "id")
        .values_list("id", "pop", "members", "n")[:limit]
    )
    entries = [
        (anime_id, round(float(pop), 6), {"members": int(members), "collections": int(n)})
        for anime_id, pop, members, n in rows
    ]
    return Ranking(kind=RankingKind.POPULAR, filters=filters, entries=entries, parameters=params)
