"""Popular-and-diverse lists: the answer for anonymous users, new users and degraded serving.

The pool (most-followed visible anime with their genres) is cached in Redis for every process
and in each process for a minute, so a request costs no query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache

from animesite.process_cache import process_cache
from catalog.models import Anime
from recsys.pipeline.contract import HistoryItem
from recsys.preferences import preference_weights

POOL_SIZE = 1000
REDIS_TTL_SECONDS = 600
PROCESS_TTL_SECONDS = 300
_POOL_KEY = "recsys:popular-pool:v1"


@dataclass(frozen=True)
class PopularItem:
    anime_id: int
    genres: tuple[str, ...]


def _pool_from_database() -> list[PopularItem]:
    ids = list(
        Anime.objects.visible().order_by("-members", "-score", "id").values_list("id", flat=True)[:POOL_SIZE]
    )
    genres: dict[int, list[str]] = {}
    rows = Anime.genres.through.objects.filter(anime_id__in=ids).values_list("anime_id", "genre__name")
    for anime_id, name in rows.order_by("anime_id", "genre__name"):
        genres.setdefault(anime_id, []).append(name)
    return [PopularItem(anime_id=i, genres=tuple(genres.get(i, ()))) for i in ids]


def _pool_shared() -> list[PopularItem]:
    cached = cache.get(_POOL_KEY)
    if isinstance(cached, list):
        return [PopularItem(anime_id=int(i), genres=tuple(g)) for i, g in cached]
    pool = _pool_from_database()
    cache.set(_POOL_KEY, [(p.anime_id, list(p.genres)) for p in pool], REDIS_TTL_SECONDS)
    return pool


def popular_pool() -> list[PopularItem]:
    """The most-followed visible anime, most popular first."""
    return process_cache.get_or_set("popular_pool", PROCESS_TTL_SECONDS, _pool_shared)


def diversify(items: Sequence[PopularItem], *, size: int, decay: float = 0.6, window: int = 3) -> list[int]:
    """Greedy re-ranking: popularity, discounted by how often an item's genres were already picked.

    Each step takes, among the next ``size * window`` remaining items, the one maximising
    ``1 / (1 + rank / 50) * decay ** overlap`` where ``overlap`` is the mean number of times its
    genres appear in the list so far.
    """
    remaining = list(enumerate(items))
    used: Counter[str] = Counter()
    chosen: list[int] = []
    horizon = max(size * window, 1)
    while remaining and len(chosen) < size:
        best_pos, best_value = 0, -1.0
        for pos, (rank, item) in enumerate(remaining[:horizon]):
            overlap = sum(used[g] for g in item.genres) / len(item.genres) if item.genres else 0.0
            value = (1.0 / (1.0 + rank / 50.0)) * decay**overlap
            if value > best_value:
                best_pos, best_value = pos, value
        _, picked = remaining.pop(best_pos)
        chosen.append(picked.anime_id)
        used.update(picked.genres)
    return chosen


def popular_diverse_ids(*, limit: int, exclude: Collection[int] = frozenset()) -> list[int]:
    """The popular-and-diverse list: ``limit`` popular anime spread across genres, leaving out
    ``exclude`` (a user's own anime) before picking. The one list anonymous visitors, new users and
    degraded serving see, on the home page and in recommendations alike (:func:`diversify` over
    :func:`popular_pool`). Without ``exclude`` the answer is kept in the process for a while."""
    if not exclude:
        return process_cache.get_or_set(
            f"popular_diverse:{limit}", PROCESS_TTL_SECONDS, lambda: diversify(popular_pool(), size=limit)
        )
    return diversify([item for item in popular_pool() if item.anime_id not in exclude], size=limit)


def genre_affinity(
    history: Iterable[HistoryItem], genres_by_anime: Mapping[int, Sequence[str]]
) -> dict[str, float]:
    """How much a user likes each genre: the sum of :mod:`recsys.preferences` weights of the
    anime in it (disliked anime count nothing, liked and favourites the most)."""
    entries = list(history)
    weights = preference_weights(
        [np.nan if h.score is None else float(h.score) for h in entries],
        [h.is_favorite for h in entries],
        [h.status for h in entries],
    )
    affinity: dict[str, float] = {}
    for item, weight in zip(entries, weights.tolist(), strict=True):
        if weight <= 0:
            continue
        for genre in genres_by_anime.get(item.anime_id, ()):
            affinity[genre] = affinity.get(genre, 0.0) + weight
    return affinity


def popular_for_genres(
    *, affinity: Mapping[str, float], exclude: set[int], limit: int
) -> list[tuple[int, str | None]]:
    """Popular anime in the genres the user likes: ``(anime_id, the genre that explains it)``."""
    total = sum(affinity.values()) or 1.0
    scored: list[tuple[float, int, int, str | None]] = []
    for rank, item in enumerate(popular_pool()):
        if item.anime_id in exclude:
            continue
        best_genre = max(item.genres, key=lambda g: affinity.get(g, 0.0), default=None)
        match = sum(affinity.get(g, 0.0) for g in item.genres) / total
        if best_genre is not None and affinity.get(best_genre, 0.0) <= 0:
            best_genre = None
        scored.append(((1.0 / (1.0 + rank / 50.0)) * (1.0 + 4.0 * match), rank, item.anime_id, best_genre))
    scored.sort(key=lambda row: (-row[0], row[1]))
    return [(anime_id, genre) for _, _, anime_id, genre in scored[:limit]]


def hidden_anime_ids() -> frozenset[int]:
    """Anime hidden by operators (re-read after every catalogue edit, see ``serving.freshness``)."""
    return process_cache.get_or_set(
        "hidden_anime_ids",
        PROCESS_TTL_SECONDS,
        lambda: frozenset(Anime.objects.filter(is_hidden=True).values_list("id", flat=True)),
    )
