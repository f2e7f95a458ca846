"""The content channel: new anime (no interactions, so no model knows them) for a user's taste.

Per catalogue generation (the process cache, emptied by every catalogue edit, see
:mod:`recsys.serving.freshness`), the visible catalogue's genres, tags, franchises and synopses
become the feature blocks of :mod:`recsys.pipeline.content` (about 15 MB per process for the
19,794 anime, 160 MB while building; seconds to build, at worker start and then in the background:
see ``background_rebuilds``; no query per request).
Per model version, the *new* anime are the visible ones the version does not know that began
airing within ``NEW_WINDOW_DAYS`` before today (or begin this season).

For a user: the new anime most like their **liked** anime (:mod:`recsys.preferences`), each with
the liked anime it is closest to (the reason's "X"); the user's collection, "not interested"
anime, hidden anime, the franchises of disliked and "not interested" anime, and anime closer to a
disliked or "not interested" anime than to any liked one are left out.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from django.db import connection

from animesite.process_cache import process_cache
from catalog.models import Anime
from catalog.selectors import current_season, today_in_japan
from recsys.pipeline.content import (
    BLOCKS,
    ContentDoc,
    ContentModel,
    ContentWeights,
    content_model_build,
    taste_scores,
)
from recsys.pipeline.contract import HistoryItem
from recsys.preferences import Preference, preference_weight, preferences_by_anime, user_mean_score
from recsys.serving.franchises import franchise_map

logger = logging.getLogger(__name__)

PROCESS_TTL_SECONDS = 3600
NEW_WINDOW_DAYS = 2 * 365
MIN_SCORE = 0.05
# Chosen on the validation half of the held-out-items split that looks like what is served
# (``evaluate_recsys --cold-items --as-served``; README, "New anime: the content channel"): hidden
# anime with tags or a synopsis, genres kept on the share of today's new anime that have any
# (1.2 %), every weight tuned from the earlier served ones. Genres at 0: the few new anime with
# genres would otherwise outrank the rest on genres alone.
SERVING_WEIGHTS = ContentWeights(genres=0.0, tags=1.0, franchise=1.0, synopsis=1.0, gamma=0.25)


@dataclass(frozen=True)
class CatalogueContent:
    """The content model of the visible catalogue, its weighted matrix, and per anime whether it
    airs this season and when it began (``None``: unknown)."""

    model: ContentModel
    matrix: sp.csr_matrix
    airing: frozenset[int]
    began: dict[int, dt.date | None]


@dataclass(frozen=True)
class NewAnimePick:
    """A new anime for the user: its content ``score``, the liked anime it is most like
    (``because``) and whether it airs this season."""

    anime_id: int
    score: float
    because: int
    airing: bool


def content_docs(*, visible_only: bool = True) -> list[ContentDoc]:
    """The catalogue's anime as :class:`ContentDoc` (English and Chinese synopses joined), in
    three queries."""
    anime = Anime.objects.visible() if visible_only else Anime.objects.all()
    genres: dict[int, list[str]] = {}
    for anime_id, name in Anime.genres.through.objects.values_list("anime_id", "genre__name"):
        genres.setdefault(anime_id, []).append(name)
    tags: dict[int, list[str]] = {}
    for anime_id, name in Anime.tags.through.objects.values_list("anime_id", "tag__name"):
        tags.setdefault(anime_id, []).append(name)
    groups = franchise_map()
    rows = anime.order_by("id").values_list("id", "synopsis", "synopsis_zh")
    return [
        ContentDoc(
            anime_id=anime_id,
            genres=genres.get(anime_id, ()),
            tags=tags.get(anime_id, ()),
            franchise=groups.key(anime_id),
            synopsis=f"{synopsis}\n{synopsis_zh}",
        )
        for anime_id, synopsis, synopsis_zh in rows
    ]


def _build() -> CatalogueContent:
    model = content_model_build(
        content_docs(), skip=[name for name in BLOCKS if SERVING_WEIGHTS.block(name) == 0]
    )
    season = current_season()
    airing: set[int] = set()
    began: dict[int, dt.date | None] = {}
    rows = Anime.objects.visible().values_list("id", "aired_from", "aired_to", "year", "season")
    for anime_id, aired_from, aired_to, year, season_name in rows:
        began[anime_id] = aired_from or (dt.date(year, 1, 1) if year else None)
        if (year == season.year and season_name == season.name) or (
            aired_from is not None
            and aired_from <= season.end
            and (aired_to is None or aired_to >= season.start)
        ):
            airing.add(anime_id)
    return CatalogueContent(
        model=model, matrix=model.matrix(SERVING_WEIGHTS), airing=frozenset(airing), began=began
    )


_FRESH_KEY = "catalogue_content_fresh"
_lock = threading.Lock()
_current: CatalogueContent | None = None
background_rebuilds = False
"""Set by the web server's workers (``gunicorn.conf.py``): once built, a rebuild after a catalogue
edit runs in a background thread while requests go on with the previous generation's features
(hidden anime are still filtered per request). Off (tests, commands): rebuilt in the caller."""


def _rebuild_in_background() -> None:
    global _current
    try:
        content = _build()
        with _lock:
            _current = content
    except Exception:
        logger.exception("content features not rebuilt; keeping the previous ones")
        process_cache.set(_FRESH_KEY, None, 0)
    finally:
        connection.close()


def catalogue_content() -> CatalogueContent:
    """The content model of the visible catalogue, built once per catalogue generation (the
    process cache, emptied by each catalogue edit, marks it fresh; see ``background_rebuilds``)."""
    global _current
    current = _current
    if current is not None and process_cache.get(_FRESH_KEY) is not None:
        return current
    if current is None or not background_rebuilds:
        content = _build()
        with _lock:
            _current = content
        process_cache.set(_FRESH_KEY, True, PROCESS_TTL_SECONDS)
        return content
    with _lock:
        if process_cache.get(_FRESH_KEY) is None:
            process_cache.set(_FRESH_KEY, True, PROCESS_TTL_SECONDS)
            threading.Thread(target=_rebuild_in_background, name="content-features", daemon=True).start()
    return current


@dataclass(frozen=True)
class NewAnimeSet:
    """The new anime of a model version, ready for per-request scoring: their ids, franchise codes
    (``code_of``: grouping key -> code), and their feature rows transposed (CSR, features x anime)."""

    anime_ids: npt.NDArray[np.int64]
    codes: npt.NDArray[np.int64]
    code_of: dict[str, int]
    matrix_t: sp.csr_matrix


def _recent(content: CatalogueContent) -> list[int]:
    """Visible anime that began within ``NEW_WINDOW_DAYS`` before today or begin this season (the
    new anime, before those a model version knows are taken out), sorted."""
    season = current_season()
    oldest = today_in_japan() - dt.timedelta(days=NEW_WINDOW_DAYS)
    return sorted(
        a for a, began in content.began.items() if began is not None and oldest <= began <= season.end
    )


def new_anime_genre_share(model: ContentModel) -> float:
    """The share of today's new anime (:func:`_recent`) whose row of ``model`` has genres; 0.0
    when there are none.

    ``model`` must carry the genres block: the served one leaves out blocks served at weight 0.
    ``evaluate_recsys --cold-items --as-served`` keeps genres on this share of the hidden anime."""
    rows = model.rows(_recent(catalogue_content()))
    if rows.size == 0:
        return 0.0
    return float((model.blocks["genres"][rows].getnnz(axis=1) > 0).mean())


def _new_anime(content: CatalogueContent, version: str | None, known: Collection[int]) -> NewAnimeSet:
    def build() -> NewAnimeSet:
        known_ids = set(known)
        ids = [a for a in _recent(content) if a not in known_ids]
        rows = content.model.rows(ids)
        anime_ids = content.model.anime_ids[rows]
        groups = franchise_map()
        code_of: dict[str, int] = {}
        codes = np.array(
            [code_of.setdefault(groups.key(int(a)), len(code_of)) for a in anime_ids], dtype=np.int64
        )
        matrix_t = sp.csr_matrix(content.matrix[rows].T, dtype=np.float32)
        return NewAnimeSet(anime_ids=anime_ids, codes=codes, code_of=code_of, matrix_t=matrix_t)

    return process_cache.get_or_set(("new_anime", version, id(content)), PROCESS_TTL_SECONDS, build)


def _similarities(
    content: CatalogueContent, new: NewAnimeSet, rows: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Dense ``(n new anime, len(rows))`` similarities to the catalogue rows ``rows``."""
    product = content.matrix[rows] @ new.matrix_t
    return np.ascontiguousarray(product.toarray().T, dtype=np.float32)


def new_anime_for_user(
    *,
    history: Sequence[HistoryItem],
    version: str | None,
    known: Collection[int],
    exclude: Collection[int],
    avoided: Collection[int],
    limit: int,
) -> list[NewAnimePick]:
    """Up to ``limit`` new anime for the user, best first (rules in the module docstring).

    Parameters
    ----------
    history : sequence of HistoryItem
        The user's collection.
    version : str or None
        The serving model version (the new-anime set is cached per version).
    known : collection of int
        Anime ids the version knows (never "new").
    exclude : collection of int
        Anime ids never returned (collection, "not interested", hidden).
    avoided : collection of int
        Disliked and "not interested" anime: their franchises are left out, and so is any anime
        closer to one of them than to every liked anime.
    limit : int
        How many to return.
    """
    if limit <= 0:
        return []
    prefs = preferences_by_anime(history)
    liked_ids = sorted(a for a, p in prefs.items() if p is Preference.LIKED)
    if not liked_ids:
        return []
    content = catalogue_content()
    model = content.model
    latest = {h.anime_id: h for h in history}
    mean = user_mean_score([h.score for h in latest.values()])
    seeds = [a for a in liked_ids if model.row_of(a) is not None]
    if not seeds:
        return []
    weights = [
        preference_weight(
            Preference.LIKED, score=latest[a].score, is_favorite=latest[a].is_favorite, user_mean=mean
        )
        for a in seeds
    ]
    groups = franchise_map()
    new = _new_anime(content, version, known)
    if new.anime_ids.size == 0:
        return []
    avoided_codes = [c for a in avoided if (c := new.code_of.get(groups.key(a))) is not None]
    allowed = ~np.isin(new.anime_ids, np.fromiter(exclude, dtype=np.int64)) & ~np.isin(
        new.codes, avoided_codes
    )
    if not allowed.any():
        return []
    sims = _similarities(content, new, model.rows(seeds))
    scores, best = taste_scores(sims, weights, SERVING_WEIGHTS.gamma)
    scores = np.where(allowed, scores, -np.inf)
    top = sims[np.arange(sims.shape[0]), best]
    avoid_rows = model.rows(sorted(avoided))
    if avoid_rows.size:
        closer_to_avoided = _similarities(content, new, avoid_rows).max(axis=1) > top
        scores = np.where(closer_to_avoided, -np.inf, scores)
    order = np.argsort(-scores, kind="stable")
    picks: list[NewAnimePick] = []
    seen: set[int] = set()
    for i in order.tolist():
        if not scores[i] >= MIN_SCORE:
            break
        if int(new.codes[i]) in seen:
            continue
        seen.add(int(new.codes[i]))
        anime_id = int(new.anime_ids[i])
        picks.append(
            NewAnimePick(
                anime_id=anime_id,
                score=float(scores[i]),
                because=seeds[int(best[i])],
                airing=anime_id in content.airing,
            )
        )
        if len(picks) >= limit:
            break
    return picks
