"""Leaderboards: what each ranking measures, how it is computed, and how it is cached.

Every ranking covers the anime operators have not hidden, can be narrowed by genre, type,
season and year, and is computed with SQL aggregation (GROUP BY) over the collection table,
which holds data-set list entries and site users' entries alike. Global constants of a formula
(the prior mean, the vote prior, the maxima used to scale) are computed over the whole visible
catalogue, not over the filtered slice, so a filtered ranking is the global ranking restricted to
the filter.

**Top rated** -- Bayesian average with a minimum-votes prior::

    top(a) = v / (v + m) * R + m / (v + m) * C

``R`` is the mean of the 1-10 scores of anime ``a`` (site and data-set scores), ``v`` their number,
``C`` the mean of every score in the catalogue and ``m`` the 80th percentile of the number of
scores per scored anime, at least ``TOP_MIN_VOTES_FLOOR``. An anime needs ``m`` scores before its
own mean weighs as much as the prior, so three 10s do not top the chart. Anime without a score
are not ranked.

**Most popular** -- MyAnimeList members and collections on this site, each scaled to 0-1 by its
catalogue-wide maximum, weighted equally::

    popular(a) = 0.5 * members(a) / max(members) + 0.5 * collections(a) / max(collections)

``collections(a)`` counts collection entries of every source. MyAnimeList member counts run to
millions while the site's collections are counted in thousands; scaling each by its maximum keeps
either from drowning the other.

**Most favourited** -- the number of site users who marked the anime as a favourite. The data set
has no favourite flag, so data-set users never favourite anything; ties (including the common
"nobody yet") are broken by the number of 10/10 scores (``perfect_scores``, shown next to the
count), then by members. Anime with neither a favourite nor a 10/10 score are not ranked.

**Trending** -- time-decayed activity with a 7-day half-life, see ``activity.trending``: the sum
over recent events of ``weight(kind) * 2 ** (-age / 7 days)``, read from a Redis sorted set kept up
to date as events happen, or computed from the behaviour log when Redis is down
(``degraded: true``).

A ranking keeps its first ``MAX_RANKED`` anime. Results live in the cache for ``CACHE_TTL``
(``TRENDING_CACHE_TTL`` for trending); a Celery beat task recomputes the unfiltered rankings and
every filter combination asked for in the last hour (``rankings.services.rankings_refresh``).
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from activity import trending
from catalog.models import Anime, Genre
from catalog.selectors import anime_cards
from favorites.models import CollectionEntry

logger = logging.getLogger(__name__)

MAX_RANKED = 1000
TOP_MIN_VOTES_FLOOR = 10
TOP_MIN_VOTES_PERCENTILE = 80
CACHE_TTL = 30 * 60
TRENDING_CACHE_TTL = 2 * 60
DEGRADED_CACHE_TTL = 30
HOT_SPECS_WINDOW = 60 * 60
MAX_HOT_SPECS = 200
CACHE_VERSION = "v1"


class RankingKind(enum.StrEnum):
    TOP = "top"
    POPULAR = "popular"
    FAVORITES = "favorites"
    TRENDING = "trending"


@dataclass(frozen=True)
class RankingFilters:
    """A validated filter set; ``genre`` is a genre slug."""

    genre: str | None = None
    type: str | None = None
    season: str | None = None
    year: int | None = None

    def key(self) -> str:
        return ":".join(
            f"{name}={value}" for name, value in self.as_dict().items() if value is not None and value != ""
        )

    def as_dict(self) -> dict[str, Any]:
        return {"genre": self.genre, "type": self.type, "season": self.season, "year": self.year}

    def apply(self, qs: QuerySet[Anime]) -> QuerySet[Anime]:
        if self.genre:
            qs = qs.filter(id__in=Genre.objects.filter(slug=self.genre).values("anime__id"))
        if self.type:
            qs = qs.filter(type=self.type)
        if self.season:
            qs = qs.filter(season=self.season)
        if self.year is not None:
            qs = qs.filter(year=self.year)
        return qs


@dataclass
class Ranking:
    """``entries``: ``(anime_id, value, details)`` best first."""

    kind: str
    filters: RankingFilters
    entries: list[tuple[int, float, dict[str, Any]]]
    parameters: dict[str, Any] = field(default_factory=dict)
    computed_at: datetime = field(default_factory=timezone.now)
    degraded: bool = False

    def to_cache(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "filters": self.filters.as_dict(),
            "entries": [list(entry) for entry in self.entries],
            "parameters": self.parameters,
            "computed_at": self.computed_at.isoformat(),
            "degraded": self.degraded,
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> Ranking:
        return cls(
            kind=data["kind"],
            filters=RankingFilters(**data["filters"]),
            entries=[(int(a), float(v), dict(d)) for a, v, d in data["entries"]],
            parameters=data["parameters"],
            computed_at=datetime.fromisoformat(data["computed_at"]),
            degraded=bool(data["degraded"]),
        )


def ranking_filters_validate(
    *, genre: str | None = None, type: str | None = None, season: str | None = None, year: Any = None
) -> tuple[RankingFilters, dict[str, list[str]]]:
    """Clean query parameters into filters; the second value names each bad parameter."""
    errors: dict[str, list[str]] = {}
    genre_slug: str | None = None
    if genre:
        found = (
            Genre.objects.filter(Q(slug__iexact=genre.strip()) | Q(name__iexact=genre.strip()))
            .values_list("slug", flat=True)
            .first()
        )
        if found is None:
            errors["genre"] = [gettext("Unknown genre %(genre)r.") % {"genre": genre}]
        genre_slug = found
    type_value: str | None = None
    if type:
        by_lower = {value.lower(): value for value in Anime.Type.values}
        type_value = by_lower.get(type.strip().lower())
        if type_value is None:
            errors["type"] = [gettext("Unknown type; use one of: %s.") % ", ".join(Anime.Type.values)]
    season_value: str | None = None
    if season:
        season_value = season.strip().lower()
        if season_value not in Anime.Season.values:
            errors["season"] = [gettext("Unknown season; use one of: %s.") % ", ".join(Anime.Season.values)]
    year_value: int | None = None
    if year not in (None, ""):
        try:
            year_value = int(str(year))
        except ValueError:
            year_value = None
        if year_value is None or not 1900 <= year_value <= 2100:
            errors["year"] = [gettext("A year is a whole number from 1900 to 2100.")]
    return RankingFilters(genre=genre_slug, type=type_value, season=season_value, year=year_value), errors


def _visible(filters: RankingFilters) -> QuerySet[Anime]:
    return filters.apply(Anime.objects.visible())


# --- formulas ------------------------------------------------------------------------------


def _global_constants(name: str, compute: Callable[[], dict[str, Any]], *, fresh: bool) -> dict[str, Any]:
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


def _entries_of(filters: RankingFilters) -> QuerySet[CollectionEntry]:
    """Collection entries of the visible anime that pass ``filters`` (one semi-join)."""
    return CollectionEntry.objects.filter(anime_id__in=_visible(filters).values("id"))


def top_rated_compute(
    *, filters: RankingFilters, limit: int = MAX_RANKED, min_votes: float | None = None
) -> Ranking:
    params = dict(_global_constants("top", top_rated_parameters, fresh=not filters.key()))
    if min_votes is not None:
        params["m"] = float(min_votes)
    m, c = params["m"], params["C"]
    # (v/(v+m))*R + (m/(v+m))*C == (v*R + m*C) / (v+m) == (sum of scores + m*C) / (v+m)
    rows = (
        _entries_of(filters)
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


def popular_compute(*, filters: RankingFilters, limit: int = MAX_RANKED) -> Ranking:
    params = _global_constants("popular", popular_parameters, fresh=not filters.key())
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
        _visible(filters)
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


def favorites_compute(*, filters: RankingFilters, limit: int = MAX_RANKED) -> Ranking:
    rows = (
        _entries_of(filters)
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


def trending_compute(
    *, filters: RankingFilters, limit: int = MAX_RANKED, now: datetime | None = None
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
            _visible(filters).filter(id__in=ids[start : start + 1000]).values_list("id", flat=True)
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


def ranking_compute(*, kind: str, filters: RankingFilters, now: datetime | None = None) -> Ranking:
    if kind == RankingKind.TOP:
        return top_rated_compute(filters=filters)
    if kind == RankingKind.POPULAR:
        return popular_compute(filters=filters)
    if kind == RankingKind.FAVORITES:
        return favorites_compute(filters=filters)
    if kind == RankingKind.TRENDING:
        return trending_compute(filters=filters, now=now)
    raise ValueError(f"unknown ranking kind {kind!r}")


# --- cache -----------------------------------------------------------------------------------


def ranking_cache_key(*, kind: str, filters: RankingFilters) -> str:
    return f"rankings:{CACHE_VERSION}:{kind}:{filters.key()}"


def ranking_cache_ttl(ranking: Ranking) -> int:
    if ranking.degraded:
        return DEGRADED_CACHE_TTL
    return TRENDING_CACHE_TTL if ranking.kind == RankingKind.TRENDING else CACHE_TTL


def _hot_key() -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:rankings:{CACHE_VERSION}:hot"


def ranking_mark_requested(*, kind: str, filters: RankingFilters, now: datetime | None = None) -> None:
    """Remember that this filter combination is in use, so the beat task keeps it warm."""
    if not filters.key():
        return
    spec = f"{kind}|{filters.genre or ''}|{filters.type or ''}|{filters.season or ''}|{filters.year or ''}"
    try:
        trending._redis().zadd(_hot_key(), {spec: (now or timezone.now()).timestamp()})
    except Exception:
        logger.debug("could not remember ranking filters", exc_info=True)


def ranking_hot_specs(*, now: datetime | None = None) -> list[tuple[str, RankingFilters]]:
    """Filter combinations asked for within ``HOT_SPECS_WINDOW``, most recent first."""
    since = (now or timezone.now()).timestamp() - HOT_SPECS_WINDOW
    try:
        client = trending._redis()
        client.zremrangebyscore(_hot_key(), "-inf", since)
        raw = client.zrevrange(_hot_key(), 0, MAX_HOT_SPECS - 1)
    except Exception:
        logger.warning("could not read the requested ranking filters", exc_info=True)
        return []
    specs = []
    for item in raw:
        kind, genre, type_, season, year = (item.decode() if isinstance(item, bytes) else item).split("|")
        if kind in RankingKind.__members__.values():
            specs.append(
                (
                    kind,
                    RankingFilters(
                        genre=genre or None,
                        type=type_ or None,
                        season=season or None,
                        year=int(year) if year else None,
                    ),
                )
            )
    return specs


def ranking_get(
    *, kind: str, filters: RankingFilters, now: datetime | None = None, use_cache: bool = True
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


# --- popular and diverse -------------------------------------------------------------------

DIVERSE_POOL = 200
DIVERSITY_WEIGHT = 0.7


def _diverse_pool() -> list[tuple[int, float, frozenset[int]]]:
    """The most popular anime with their genre ids, shared by every user (cached)."""
    key = f"rankings:{CACHE_VERSION}:diverse-pool"
    cached = cache.get(key)
    if isinstance(cached, list):
        return [(int(a), float(v), frozenset(g)) for a, v, g in cached]
    popular = ranking_get(kind=RankingKind.POPULAR, filters=RankingFilters()).entries[:DIVERSE_POOL]
    genres: dict[int, set[int]] = {anime_id: set() for anime_id, _, _ in popular}
    rows = Anime.genres.through.objects.filter(anime_id__in=list(genres)).values_list("anime_id", "genre_id")
    for anime_id, genre_id in rows:
        genres[anime_id].add(genre_id)
    pool = [(anime_id, value, frozenset(genres[anime_id])) for anime_id, value, _ in popular]
    cache.set(key, [[a, v, sorted(g)] for a, v, g in pool], timeout=CACHE_TTL)
    return pool


def _jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def popular_diverse_ids(*, limit: int, exclude: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """Popular anime spread across genres (maximal marginal relevance).

    Greedily picks the anime maximising ``popularity - 0.7 * max Jaccard(genres, picked genres)``
    among the ``DIVERSE_POOL`` most popular, popularity scaled so the most popular is 1.
    """
    pool = [item for item in _diverse_pool() if item[0] not in exclude]
    if not pool:
        return []
    top = max(value for _, value, _ in pool) or 1.0
    picked: list[tuple[int, float, frozenset[int]]] = []
    remaining = list(pool)
    while remaining and len(picked) < limit:
        best_index, best_score = 0, -math.inf
        for index, (_anime_id, value, genres) in enumerate(remaining):
            overlap = max((_jaccard(genres, other) for _a, _v, other in picked), default=0.0)
            score = value / top - DIVERSITY_WEIGHT * overlap
            if score > best_score:
                best_index, best_score = index, score
        picked.append(remaining.pop(best_index))
    return [anime_id for anime_id, _, _ in picked]


def popular_diverse(
    *, limit: int, exclude: set[int] | frozenset[int] = frozenset(), language: str | None = None
) -> list[dict[str, Any]]:
    """Cards of popular, genre-diverse anime with a "popular" reason (the recommender's shape)."""
    from django.utils import translation

    with translation.override(language or translation.get_language()):
        text = gettext("Popular right now")
    return [
        {**card, "reason": {"code": "popular"}, "reason_text": text, "channel": "popular"}
        for card in anime_cards(
            anime_ids=popular_diverse_ids(limit=limit, exclude=exclude), language=language
        )
    ]
