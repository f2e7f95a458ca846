"""What every leaderboard formula shares: the kinds, the result type, the visible slice."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from catalog.filters import CatalogFilter
from catalog.models import Anime
from favorites.models import CollectionEntry

MAX_RANKED = 1000
TOP_MIN_VOTES_FLOOR = 10
TOP_MIN_VOTES_PERCENTILE = 80
CACHE_TTL = 30 * 60
TRENDING_CACHE_TTL = 2 * 60
DEGRADED_CACHE_TTL = 30
CACHE_VERSION = "v1"


class RankingKind(enum.StrEnum):
    TOP = "top"
    POPULAR = "popular"
    FAVORITES = "favorites"
    TRENDING = "trending"


def ranking_filters_dict(filters: CatalogFilter) -> dict[str, Any]:
    """The filters a leaderboard was computed for, one value each (``None``: not filtered)."""
    return {
        "genre": filters.genres[0] if filters.genres else None,
        "type": filters.types[0] if filters.types else None,
        "season": filters.seasons[0] if filters.seasons else None,
        "year": filters.years[0] if filters.years else None,
    }


@dataclass
class Ranking:
    """``entries``: ``(anime_id, value, details)`` best first."""

    kind: str
    filters: CatalogFilter
    entries: list[tuple[int, float, dict[str, Any]]]
    parameters: dict[str, Any] = field(default_factory=dict)
    computed_at: datetime = field(default_factory=timezone.now)
    degraded: bool = False

    def to_cache(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "filters": self.filters.key(),
            "entries": [list(entry) for entry in self.entries],
            "parameters": self.parameters,
            "computed_at": self.computed_at.isoformat(),
            "degraded": self.degraded,
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> Ranking:
        return cls(
            kind=data["kind"],
            filters=CatalogFilter.from_key(data["filters"]),
            entries=[(int(a), float(v), dict(d)) for a, v, d in data["entries"]],
            parameters=data["parameters"],
            computed_at=datetime.fromisoformat(data["computed_at"]),
            degraded=bool(data["degraded"]),
        )


def visible_anime(filters: CatalogFilter) -> QuerySet[Anime]:
    return filters.apply(Anime.objects.visible())


def collection_entries_of(filters: CatalogFilter) -> QuerySet[CollectionEntry]:
    """Collection entries of the visible anime that pass ``filters`` (one semi-join)."""
    return CollectionEntry.objects.filter(anime_id__in=visible_anime(filters).values("id"))


def global_constants(name: str, compute: Callable[[], dict[str, Any]], *, fresh: bool) -> dict[str, Any]:
    """Catalogue-wide constants of a formula: recomputed with every unfiltered ranking, cached
    for the filtered ones (which all share them)."""
    key = f"rankings:{CACHE_VERSION}:constants:{name}"
    if not fresh:
        cached = cache.get(key)
        if isinstance(cached, dict):
            return cached
    value = compute()
    cache.set(key, value, timeout=CACHE_TTL)
    return value
