"""Content similarity (shared genres and tags) for anime that have no item vector.

An inverted index of the visible catalogue's genres and tags is built once per process and
refreshed every few minutes; a lookup counts shared features along the posting lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from animesite.process_cache import process_cache
from catalog.models import Anime

INDEX_TTL_SECONDS = 600


@dataclass(frozen=True)
class ContentIndex:
    """``features``: anime id -> feature ids (genre ``2 * id``, tag ``2 * id + 1``)."""

    features: Mapping[int, frozenset[int]]
    postings: Mapping[int, tuple[int, ...]]
    members: Mapping[int, int]


def _genre_feature(genre_id: int) -> int:
    return 2 * genre_id


def _tag_feature(tag_id: int) -> int:
    return 2 * tag_id + 1


def index_build(
    *,
    members: Mapping[int, int],
    genre_rows: Iterable[tuple[int, int]],
    tag_rows: Iterable[tuple[int, int]],
) -> ContentIndex:
    """Build the index from ``(anime_id, genre_id)`` and ``(anime_id, tag_id)`` pairs."""
    features: dict[int, set[int]] = {}
    for anime_id, genre_id in genre_rows:
        if anime_id in members:
            features.setdefault(anime_id, set()).add(_genre_feature(genre_id))
    for anime_id, tag_id in tag_rows:
        if anime_id in members:
            features.setdefault(anime_id, set()).add(_tag_feature(tag_id))
    postings: dict[int, list[int]] = {}
    for anime_id, feats in features.items():
        for feature in feats:
            postings.setdefault(feature, []).append(anime_id)
    return ContentIndex(
        features={a: frozenset(f) for a, f in features.items()},
        postings={f: tuple(ids) for f, ids in postings.items()},
        members=dict(members),
    )


def _index_from_database() -> ContentIndex:
    members = dict(Anime.objects.visible().values_list("id", "members"))
    return index_build(
        members=members,
        genre_rows=Anime.genres.through.objects.values_list("anime_id", "genre_id"),
        tag_rows=Anime.tags.through.objects.values_list("anime_id", "tag_id"),
    )


def content_index() -> ContentIndex:
    return process_cache.get_or_set("content_index", INDEX_TTL_SECONDS, _index_from_database)


def jaccard_neighbours(
    *, target: frozenset[int], index: ContentIndex, k: int, exclude: set[int]
) -> list[tuple[int, float]]:
    """The ``k`` anime whose genre/tag sets have the highest Jaccard similarity with ``target``.

    Ties go to the anime with more members, then the lower id.
    """
    if not target or k <= 0:
        return []
    shared: Counter[int] = Counter()
    for feature in target:
        shared.update(index.postings.get(feature, ()))
    scored = []
    for anime_id, inter in shared.items():
        if anime_id in exclude:
            continue
        union = len(target) + len(index.features[anime_id]) - inter
        scored.append((inter / union, index.members.get(anime_id, 0), -anime_id))
    scored.sort(reverse=True)
    return [(-neg_id, similarity) for similarity, _, neg_id in scored[:k]]


def anime_features(anime_id: int) -> frozenset[int]:
    """The genre/tag features of one anime, hidden or not (read from the database when not indexed)."""
    index = content_index()
    if anime_id in index.features:
        return index.features[anime_id]
    genres = Anime.genres.through.objects.filter(anime_id=anime_id).values_list("genre_id", flat=True)
    tags = Anime.tags.through.objects.filter(anime_id=anime_id).values_list("tag_id", flat=True)
    return frozenset([_genre_feature(g) for g in genres] + [_tag_feature(t) for t in tags])


def content_similar(*, anime_id: int, k: int, exclude: set[int]) -> list[tuple[int, float]]:
    """Anime most like ``anime_id`` by shared genres and tags (never ``anime_id`` itself)."""
    return jaccard_neighbours(
        target=anime_features(anime_id), index=content_index(), k=k, exclude=exclude | {anime_id}
    )
