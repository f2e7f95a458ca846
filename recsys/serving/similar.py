"""Similar anime in two groups: "related entries" (the other entries of the anime's catalogue
franchise) and "fans also liked" (co-occurrence neighbours first, then item-vector neighbours, then
shared genres and tags, franchise-mates left out; see :func:`similar_for_anime`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from animesite.process_cache import process_cache
from catalog.selectors import display_language
from recsys.serving.bodies import json_body
from recsys.serving.bundles import ActiveModel, active_model
from recsys.serving.cards import cards_for
from recsys.serving.content import content_similar
from recsys.serving.exact import exact_vectors
from recsys.serving.franchises import FranchiseMap, franchise_map
from recsys.serving.freshness import catalogue_check
from recsys.serving.popularity import hidden_anime_ids

logger = logging.getLogger(__name__)

_SLACK = 5
# Neighbours only change with the model version or the catalogue (whose edits empty the cache,
# see ``serving.freshness``): answers are reused for ten minutes.
RESULT_TTL_SECONDS = 600

METHOD_COOCCURRENCE = "cooccurrence"
METHOD_VECTORS = "vectors"
METHOD_CONTENT = "content"
# How much a co-occurrence neighbour's popularity counts against it in "fans also liked"
# (:mod:`recsys.pipeline.cooccurrence`); chosen by ``manage.py similar_popularity --check``.
FANS_DAMPING = 0.05


@dataclass(frozen=True)
class SimilarResult:
    """``items`` ("fans also liked"): anime cards with a ``similarity`` (the model's score, or
    Jaccard for ``content``), none from the anime's own franchise and one per other franchise;
    ``related``: cards of the other entries of its catalogue franchise, in air order (undated
    last), empty without one."""

    items: list[dict[str, Any]]
    degraded: bool
    version: str | None
    method: str
    related: list[dict[str, Any]] = field(default_factory=list)

    @cached_property
    def body(self) -> bytes:
        """The API's JSON for this answer, encoded once however often it is reused."""
        return json_body(
            {
                "results": self.items,
                "related": self.related,
                "degraded": self.degraded,
                "version": self.version,
                "method": self.method,
            }
        )


def similar_for_anime(*, anime_id: int, limit: int, language: str | None) -> SimilarResult:
    """Up to ``limit`` anime like ``anime_id`` ("fans also liked") and up to ``limit`` related
    entries (its catalogue franchise); hidden anime never appear.

    "Fans also liked" leaves out the anime's franchise (:mod:`recsys.serving.franchises`: the
    catalogue franchise, else the title stem), which "related" shows instead, and shows one entry
    of each other franchise (its best-placed). Its sources, in order
    of preference:

    - ``cooccurrence``: the anime most often liked by the same users (the model's ItemKNN
      neighbours, each neighbour's popularity damped by ``FANS_DAMPING``). Taste first: the item
      vectors, learned from lists ordered by air date (the data set has no watch times), place an
      anime among others of its era more than among others of its kind, so they come second;
    - ``vectors``: Annoy neighbours of the item vector; when the version's files cannot be used,
      exact search over its item vectors published in Redis (``degraded``);
    - ``content``: shared genres and tags, for anime the model does not know and when there is no
      model at all.
    """
    catalogue_check()
    model = active_model()
    key = f"similar:{model.version}:{model.degraded}:{anime_id}:{limit}:{display_language(language)}"
    return process_cache.get_or_set(
        key, RESULT_TTL_SECONDS, lambda: _similar(model, anime_id=anime_id, limit=limit, language=language)
    )


def neighbours_wanted(limit: int, mates: int) -> int:
    """How many neighbours to ask the model for so that ``limit`` places are filled once the anime,
    its ``mates`` (franchise entries) and repeats of other franchises are left out."""
    return 3 * limit + _SLACK + 1 + mates


def fans_filter(
    neighbours: list[tuple[int, float]],
    anime_id: int,
    *,
    hidden: frozenset[int],
    groups: FranchiseMap | None,
) -> list[tuple[int, float]]:
    """The neighbours "fans also liked" may show, in the given order: not hidden, not ``anime_id``
    and, with ``groups``, not of its franchise and one per other franchise (the first, best-placed,
    of each), shown as the franchise's entry point when that may be shown
    (:meth:`~recsys.serving.franchises.FranchiseMap.entry_point`: Code Geass rather than R2);
    ``groups=None`` applies no franchise rule."""
    seen = {groups.key(anime_id)} if groups is not None else set()
    out: list[tuple[int, float]] = []
    for i, s in neighbours:
        if i == anime_id or i in hidden:
            continue
        if groups is not None:
            key = groups.key(i)
            if key in seen:
                continue
            seen.add(key)
            i = groups.entry_point(i, blocked=hidden)
        out.append((i, s))
    return out


def _visible(
    neighbours: list[tuple[int, float]], anime_id: int, hidden: frozenset[int]
) -> list[tuple[int, float]]:
    return fans_filter(neighbours, anime_id, hidden=hidden, groups=franchise_map())


def _related(anime_id: int, hidden: frozenset[int], limit: int, language: str | None) -> list[dict[str, Any]]:
    """Cards of the other visible entries of the anime's catalogue franchise, in air order."""
    mates = [a for a in franchise_map().mates(anime_id) if a not in hidden]
    return cards_for(anime_ids=mates[:limit], language=language)


def _similar(model: ActiveModel, *, anime_id: int, limit: int, language: str | None) -> SimilarResult:
    hidden = hidden_anime_ids()
    wanted = neighbours_wanted(limit, len(franchise_map().mates(anime_id)))
    neighbours: list[tuple[int, float]] = []
    degraded = model.degraded
    method = METHOD_COOCCURRENCE
    if model.bundle is not None:
        try:
            neighbours = _visible(
                model.bundle.similar_cooccurrence(anime_id, wanted, damping=FANS_DAMPING), anime_id, hidden
            )
            if not neighbours:
                method = METHOD_VECTORS
                neighbours = _visible(model.bundle.similar(anime_id, wanted), anime_id, hidden)
        except Exception:
            logger.exception("model %s failed to find similar anime", model.version)
            degraded = True
            neighbours = []
    elif model.version is not None:
        method = METHOD_VECTORS
        vectors = exact_vectors(model.version)
        if vectors is not None:
            neighbours = _visible(vectors.similar(anime_id, wanted), anime_id, hidden)
    if not neighbours:
        method = METHOD_CONTENT
        neighbours = _visible(
            content_similar(anime_id=anime_id, k=3 * limit + _SLACK, exclude=set(hidden)), anime_id, hidden
        )
    similarity = dict(neighbours)
    cards = cards_for(anime_ids=[i for i, _ in neighbours], language=language)
    items = [{**card, "similarity": round(float(similarity[card["id"]]), 4)} for card in cards[:limit]]
    return SimilarResult(
        items=items,
        degraded=degraded,
        version=model.version if model.bundle is not None else None,
        method=method,
        related=_related(anime_id, hidden, limit, language),
    )
