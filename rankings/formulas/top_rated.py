"""Top rated: a Bayesian average with a minimum-votes prior (see ``rankings.formulas``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db.models import Count, F, FloatField, Sum, Value
from django.db.models.functions import Cast

from catalog.filters import CatalogFilter
from favorites.models import CollectionEntry
from rankings.formulas.base import (
    MAX_RANKED,
    TOP_MIN_VOTES_FLOOR,
    TOP_MIN_VOTES_PERCENTILE,
    Ranking,
    RankingKind,
    collection_entries_of,
    global_constants,
)


def top_rated_parameters() -> dict[str, Any]:
    """``C`` (mean score), ``m`` (vote prior) and the totals, from one GROUP BY per anime."""
    per_anime = list(
        CollectionEntry.objects.filter(score__isnull=False, anime__is_hidden=False)
        .values("anime_id")
        .annotate(v=Count("score"), s=Sum("score"))
        .values_list("v", "s")
        .order_by()
    )
    if not per_anime:
        return {"C": 0.0, "m": float(TOP_MIN_VOTES_FLOOR), "votes": 0, "scored_anime": 0}
    votes = np.array([v for v, _ in per_anime], dtype=float)
    total = float(sum(s for _, s in per_anime))
    percentile = float(np.percentile(votes, TOP_MIN_VOTES_PERCENTILE))
    return {
        "C": total / float(votes.sum()),
        "m": max(float(TOP_MIN_VOTES_FLOOR), percentile),
        "votes": int(votes.sum()),
        "scored_anime": len(per_anime),
    }


def top_rated_compute(
    *, filters: CatalogFilter, limit: int = MAX_RANKED, min_votes: float | None = None
) -> Ranking:
    params = dict(global_constants("top", top_rated_parameters, fresh=not filters.key()))
    if min_votes is not None:
        params["m"] = float(min_votes)
    m, c = params["m"], params["C"]
    # (v/(v+m))*R + (m/(v+m))*C == (v*R + m*C) / (v+m) == (sum of scores + m*C) / (v+m)
    rows = (
        collection_entries_of(filters)
        .filter(score__isnull=False)
        .values("anime_id")
        .annotate(v=Count("score"), s=Sum("score"))
        .annotate(bayes=(Cast(F("s"), FloatField()) + Value(m * c)) / (Cast(F("v"), FloatField()) + Value(m)))
        .order_by("-bayes", "-v", "anime_id")
        .values_list("anime_id", "bayes", "v", "s")[:limit]
    )
    entries = [
        (anime_id, round(float(bayes), 4), {"votes": int(v), "mean": round(float(s) / float(v), 4)})
        for anime_id, bayes, v, s in rows
    ]
    return Ranking(kind=RankingKind.TOP, filters=filters, entries=entries, parameters=params)
