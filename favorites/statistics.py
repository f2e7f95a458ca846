"""A user's list in figures: statuses, score distribution, genres, episodes and days watched.

Episodes watched per entry: the recorded progress (``episodes_watched``), or the anime's episode
count for a completed entry that has no progress recorded (lists imported or made before progress
was tracked); plus ``rewatch_count`` times the episode count for rewatches. This is how
MyAnimeList counts a profile's episodes.

Days watched: episodes times a per-episode duration. The catalogue has no duration, so each type
gets a typical length (MyAnimeList's usual running times, in minutes)::

    TV 24 · OVA 30 · ONA 15 · Special 12 · Movie 100 (one "episode") · Music 4 · unknown 24

``days_watched = sum(episodes * minutes(type)) / (60 * 24)``, rounded to 0.1 day.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Avg, Count

from accounts.models import User
from catalog.models import Anime
from favorites.models import CollectionEntry, WatchStatus

MINUTES_PER_EPISODE: dict[str, int] = {
    Anime.Type.TV: 24,
    Anime.Type.OVA: 30,
    Anime.Type.ONA: 15,
    Anime.Type.SPECIAL: 12,
    Anime.Type.MOVIE: 100,
    Anime.Type.MUSIC: 4,
    Anime.Type.UNKNOWN: 24,
}
DEFAULT_MINUTES_PER_EPISODE = 24
TOP_GENRES = 15
STATUS_ORDER = [
    WatchStatus.WATCHING,
    WatchStatus.COMPLETED,
    WatchStatus.ON_HOLD,
    WatchStatus.DROPPED,
    WatchStatus.WANT_TO_WATCH,
]


def entry_episodes(
    *, status: str, episodes_watched: int, rewatch_count: int, anime_episodes: int | None
) -> int:
    """Episodes one entry counts for (see the module docstring)."""
    watched = episodes_watched
    if status == WatchStatus.COMPLETED and watched == 0 and anime_episodes:
        watched = anime_episodes
    return watched + rewatch_count * (anime_episodes or 0)


def collection_statistics(*, user: User) -> dict[str, Any]:
    """The user's list in figures; two queries whatever the list's size.

    Returns ``{"total", "favorites", "scored", "mean_score", "statuses": [{"status", "count"}],
    "scores": [{"score": 1..10, "count"}], "genres": [{"name", "slug", "count", "mean_score"}]
    (the ``TOP_GENRES`` most listed), "types": [{"type", "count", "episodes"}], "episodes",
    "minutes", "days", "minutes_per_episode"}``. ``mean_score`` is None without scores; ``days``
    follows the duration assumption above.
    """
    rows = list(
        CollectionEntry.objects.filter(user=user).values_list(
            "status",
            "score",
            "is_favorite",
            "episodes_watched",
            "rewatch_count",
            "anime__type",
            "anime__episodes",
        )
    )
    statuses: Counter[str] = Counter()
    scores: Counter[int] = Counter()
    types: Counter[str] = Counter()
    type_episodes: Counter[str] = Counter()
    favorites = 0
    minutes = 0
    for status, score, is_favorite, watched, rewatches, anime_type, anime_episodes in rows:
        statuses[status] += 1
        if score:
            scores[score] += 1
        favorites += bool(is_favorite)
        episodes = entry_episodes(
            status=status, episodes_watched=watched, rewatch_count=rewatches, anime_episodes=anime_episodes
        )
        types[anime_type] += 1
        type_episodes[anime_type] += episodes
        minutes += episodes * MINUTES_PER_EPISODE.get(anime_type, DEFAULT_MINUTES_PER_EPISODE)

    genres = [
        {
            "name": name,
            "slug": slug,
            "count": count,
            "mean_score": round(mean, 2) if mean is not None else None,
        }
        for name, slug, count, mean in (
            CollectionEntry.objects.filter(user=user, anime__genres__isnull=False)
            .values("anime__genres__name", "anime__genres__slug")
            .annotate(n=Count("id"), mean=Avg("score"))
            .order_by("-n", "anime__genres__name")
            .values_list("anime__genres__name", "anime__genres__slug", "n", "mean")[:TOP_GENRES]
        )
    ]
    scored = sum(scores.values())
    status_rows = [{"status": str(s), "count": statuses.get(s, 0)} for s in STATUS_ORDER]
    if statuses.get(""):
        status_rows.append({"status": "", "count": statuses[""]})
    return {
        "total": len(rows),
        "favorites": favorites,
        "scored": scored,
        "mean_score": round(sum(s * n for s, n in scores.items()) / scored, 2) if scored else None,
        "statuses": status_rows,
        "scores": [{"score": s, "count": scores.get(s, 0)} for s in range(1, 11)],
        "genres": genres,
        "types": [{"type": t, "count": n, "episodes": type_episodes[t]} for t, n in types.most_common()],
        "episodes": sum(type_episodes.values()),
        "minutes": minutes,
        "days": round(minutes / (60 * 24), 1),
        "minutes_per_episode": {str(k): v for k, v in MINUTES_PER_EPISODE.items()},
    }
