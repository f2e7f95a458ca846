"""Personalised recommendations with reasons, degrading to popularity instead of failing.

Per request: the user's collection (fresh, so new ratings count at once), their "not interested"
list, the user vector (Redis when it still matches the history, else computed on the spot), the
bundle's recall + ranking + re-ranking, then cards for the chosen anime in one query set.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import redis

from activity.state import user_state_token_for
from animesite.process_cache import process_cache
from catalog.selectors import display_language
from recsys.pipeline.contract import Candidate
from recsys.preferences import disliked_anime_ids, liked_anime_ids
from recsys.selectors import UserHistory, UserState, user_state, user_state_stamp
from recsys.serving.bodies import json_body
from recsys.serving.bundles import ActiveModel, active_model
from recsys.serving.cards import cards_for
from recsys.serving.exact import exact_vectors
from recsys.serving.franchises import franchise_map, one_per_franchise, planned_only
from recsys.serving.freshness import catalogue_check
from recsys.serving.new_anime import new_anime_for_user
from recsys.serving.popularity import (
    genre_affinity,
    hidden_anime_ids,
    popular_diverse_ids,
    popular_for_genres,
)
from recsys.serving.reasons import (
    NEW_LIKE,
    NEW_THIS_SEASON,
    reason_because,
    reason_new,
    reason_popular,
    reason_popular_in_genre,
    reason_text,
)
from recsys.serving.store import stored_user_vector

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

logger = logging.getLogger(__name__)

# Ask the bundle for a few more than needed: a candidate may be hidden between two cache refreshes.
_SLACK = 10
RESULT_TTL_SECONDS = 300
# Share of a list reserved for new anime from the content channel (at most; fewer when the user's
# liked anime have no close new match), spread through the list.
NEW_SHARE = 0.2


@dataclass(frozen=True)
class RecommendationResult:
    """``items``: anime cards, each with ``reason``, ``reason_text`` and ``channel``.

    ``degraded`` is True when the model could not be used as intended (no active version, Redis
    unreachable, artifacts missing); ``version`` names the model version that served the answer.
    ``body`` is the API's JSON for it, encoded once however often the answer is reused.
    """

    items: list[dict[str, Any]]
    degraded: bool
    version: str | None

    @cached_property
    def body(self) -> bytes:
        return json_body({"results": self.items, "degraded": self.degraded, "version": self.version})


def _with_reason(
    card: dict[str, Any], reason: dict[str, Any], channel: str, language: str | None
) -> dict[str, Any]:
    return {
        **card,
        "reason": reason,
        "reason_text": reason_text(reason, language=language),
        "channel": channel,
    }


def popular_diverse_items(
    *, limit: int, exclude: Collection[int] = frozenset(), language: str | None = None
) -> list[dict[str, Any]]:
    """Cards of the popular-and-diverse list (:func:`recsys.serving.popularity.popular_diverse_ids`),
    each with the "popular" reason: what anonymous visitors, new users and degraded serving get,
    on the home page and in recommendations. One entry per franchise."""
    ids = popular_diverse_ids(limit=limit + _SLACK, exclude=exclude)
    reason = reason_popular()
    cards = one_per_franchise(cards_for(anime_ids=ids, language=language))[:limit]
    return [_with_reason(card, reason, "popular", language) for card in cards]


def _popular_items(*, exclude: set[int], limit: int, language: str | None) -> list[dict[str, Any]]:
    return popular_diverse_items(limit=limit + _SLACK, exclude=exclude, language=language)


def _history_genres(history: UserHistory) -> dict[int, list[str]]:
    cards = cards_for(anime_ids=[item.anime_id for item in history.items], language=None)
    return {card["id"]: card["genres"] for card in cards}


def _genre_popular_items(
    *, history: UserHistory, exclude: set[int], limit: int, language: str | None
) -> list[dict[str, Any]]:
    affinity = genre_affinity(history.items, _history_genres(history))
    picks = popular_for_genres(affinity=affinity, exclude=exclude, limit=limit + _SLACK)
    explained = dict(picks)
    items = []
    for card in cards_for(anime_ids=[anime_id for anime_id, _ in picks], language=language):
        genre = explained.get(card["id"])
        reason = reason_popular_in_genre(genre=genre) if genre else reason_popular()
        items.append(_with_reason(card, reason, "popular_genre", language))
    return items


def _user_vector(
    model: ActiveModel, user_id: int, history: UserHistory
) -> tuple[Sequence[float] | None, bool]:
    """The user's vector and whether Redis answered (False degrades the response)."""
    assert model.bundle is not None and model.version is not None
    vector: Sequence[float] | None = None
    redis_ok = model.redis_ok
    if redis_ok:
        try:
            vector = stored_user_vector(version=model.version, user_id=user_id, stamp=history.stamp)
        except redis.RedisError:
            logger.warning("Redis unreachable while reading a user vector", exc_info=True)
            redis_ok = False
    if vector is None:
        vector = model.bundle.user_vector(history.items)
    return vector, redis_ok


def _model_items(
    *,
    candidates: list[Candidate],
    history: UserHistory,
    limit: int,
    language: str | None,
) -> list[dict[str, Any]]:
    cards = cards_for(anime_ids=[c.anime_id for c in candidates], language=language)
    by_id = {c.anime_id: c for c in candidates}
    liked_ids = liked_anime_ids(history.items)
    because_ids = [c.because for c in candidates if c.because is not None and c.because in liked_ids]
    titles = {card["id"]: card["title"] for card in cards_for(anime_ids=because_ids, language=language)}
    affinity: dict[str, float] | None = None
    items = []
    for card in cards[:limit]:
        candidate = by_id[card["id"]]
        if candidate.because in titles:
            assert candidate.because is not None
            reason = reason_because(anime_id=candidate.because, title=titles[candidate.because])
        else:
            if affinity is None:
                affinity = genre_affinity(history.items, _history_genres(history))
            liked = [g for g in card["genres"] if affinity.get(g, 0.0) > 0]
            if liked:
                reason = reason_popular_in_genre(genre=max(liked, key=lambda g: affinity.get(g, 0.0)))
            else:
                reason = reason_popular()
        items.append(_with_reason(card, reason, candidate.channel, language))
    return items


def _exact_items(
    version: str, *, user_id: int, history: UserHistory, exclude: set[int], limit: int, language: str | None
) -> list[dict[str, Any]]:
    """Nearest anime to the user's vector by exact search over the version's published item
    vectors (no ranker): the answer while the version's files cannot be used."""
    vectors = exact_vectors(version)
    if vectors is None:
        return []
    vector: Sequence[float] | None = None
    try:
        vector = stored_user_vector(version=version, user_id=user_id, stamp=history.stamp)
    except redis.RedisError:
        vector = None
    if vector is None:
        vector = vectors.user_vector(history.items)
    if vector is None:
        return []
    nearest = vectors.nearest(vector, limit + _SLACK, exclude=exclude)
    liked = sorted(liked_anime_ids(history.items))
    titles = {card["id"]: card["title"] for card in cards_for(anime_ids=liked, language=language)}
    items = []
    for card in cards_for(anime_ids=[anime_id for anime_id, _ in nearest], language=language)[:limit]:
        because = vectors.closest_in(card["id"], list(titles))
        reason = reason_because(anime_id=because, title=titles[because]) if because else reason_popular()
        items.append(_with_reason(card, reason, "exact_user", language))
    return items


def new_slots(limit: int) -> int:
    """How many entries of a list of ``limit`` may be new anime (``NEW_SHARE``, at least one)."""
    return max(1, round(NEW_SHARE * limit))


def _blend_new(
    items: list[dict[str, Any]],
    *,
    model: ActiveModel,
    history: UserHistory,
    exclude: set[int],
    avoided: set[int],
    limit: int,
    language: str | None,
) -> list[dict[str, Any]]:
    """``items`` with up to :func:`new_slots` new anime (:mod:`recsys.serving.new_anime`) placed
    evenly through the first ``limit`` entries, each citing the liked anime it is most like."""
    assert model.bundle is not None
    picks = new_anime_for_user(
        history=history.items,
        version=model.version,
        known=model.bundle.item_ids,
        exclude=exclude,
        avoided=avoided,
        limit=new_slots(limit),
    )
    if not picks:
        return items
    by_id = {p.anime_id: p for p in picks}
    titles = {
        card["id"]: card["title"]
        for card in cards_for(anime_ids=sorted({p.because for p in picks}), language=language)
    }
    new_items = []
    for card in cards_for(anime_ids=[p.anime_id for p in picks], language=language):
        pick = by_id[card["id"]]
        if pick.because not in titles:
            continue
        reason = reason_new(anime_id=pick.because, title=titles[pick.because], airing=pick.airing)
        new_items.append(_with_reason(card, reason, "content_new", language))
    out = list(items)
    for j, item in enumerate(new_items):
        out.insert(min(len(out), round((j + 1) * limit / (len(new_items) + 1))), item)
    return out


def entry_points(
    items: list[dict[str, Any]], *, history: UserHistory, exclude: set[int], language: str | None
) -> list[dict[str, Any]]:
    """Each entry of a franchise the user has no entry of replaced by where a newcomer starts
    (:meth:`recsys.serving.franchises.FranchiseMap.entry_point`): not My Hero Academia's final
    season to someone who never watched it, but its first. The card keeps its reason and channel;
    a "new" reason becomes "because you liked" the same anime (the first entry is not new). An
    entry point that may not be shown (``exclude``) or is already in the list leaves the card as
    it was."""
    groups = franchise_map()
    started = {groups.key(a) for a in history.anime_ids}
    # Not to be shown, or in the list already (the list's own entries and the entry points chosen).
    blocked = exclude | {item["id"] for item in items}
    swaps: dict[int, int] = {}
    for item in items:
        if groups.key(item["id"]) in started:
            continue
        target = groups.entry_point(item["id"], blocked=blocked)
        if target != item["id"]:
            swaps[item["id"]] = target
            blocked.add(target)
    if not swaps:
        return items
    cards = {card["id"]: card for card in cards_for(anime_ids=sorted(set(swaps.values())), language=language)}
    out = []
    for item in items:
        card = cards.get(swaps.get(item["id"], -1))
        if card is None:
            out.append(item)
            continue
        reason = item["reason"]
        if reason.get("code") in (NEW_LIKE, NEW_THIS_SEASON):
            reason = reason_because(anime_id=reason["anime_id"], title=reason["title"])
        out.append(_with_reason(card, reason, item["channel"], language))
    return out


def _served_version(model: ActiveModel) -> str | None:
    return model.version if model.bundle is not None else None


def _fresh(
    model: ActiveModel, *, user_id: int, state: UserState, limit: int, language: str | None
) -> tuple[list[dict[str, Any]], bool]:
    """Compute the list for a user with history: (items, degraded)."""
    history = state.history
    exclude = history.anime_ids | state.not_interested | hidden_anime_ids()
    avoided = disliked_anime_ids(history.items) | state.not_interested
    # The list also leaves out franchises the user has only planned to watch (their planned entry
    # is where the user starts); the content channel's notion of "avoided" stays the dislikes.
    unlisted = avoided | planned_only(history.items)
    degraded = model.degraded
    items: list[dict[str, Any]] = []
    if model.bundle is not None:
        try:
            vector, redis_ok = _user_vector(model, user_id, history)
            candidates = model.bundle.recommend(
                history=history.items,
                user_vector=vector,
                exclude=set(exclude),
                k=limit + _SLACK,
                not_interested=state.not_interested,
            )
            candidates = [c for c in candidates if c.anime_id not in exclude]
            items = _model_items(
                candidates=candidates, history=history, limit=limit + _SLACK, language=language
            )
            items = _blend_new(
                one_per_franchise(items, avoided=unlisted),
                model=model,
                history=history,
                exclude=exclude,
                avoided=avoided,
                limit=limit,
                language=language,
            )
            degraded = degraded or not redis_ok
        except Exception:
            logger.exception("model %s failed to recommend; serving popularity", model.version)
            degraded = True
            items = []
    elif model.version is not None:
        items = _exact_items(
            model.version, user_id=user_id, history=history, exclude=exclude, limit=limit, language=language
        )
    # One entry per franchise, none from a disliked, "not interested" or only planned anime's
    # franchise, by the catalogue's current grouping (the model's own re-rank used the grouping it
    # was trained with).
    items = one_per_franchise(items, avoided=unlisted)
    if len(items) < limit:
        shown = exclude | {item["id"] for item in items}
        items += _genre_popular_items(
            history=history, exclude=shown, limit=limit + _SLACK - len(items), language=language
        )
        items = one_per_franchise(items, avoided=unlisted)
    return entry_points(items[:limit], history=history, exclude=exclude, language=language), degraded


def _state_token(user: User) -> str | None:
    """The user's state token from Redis; None when Redis is down (the database decides then).

    Usually already read with the user itself (``accounts.selectors.user_companion_key_register``).
    """
    try:
        return user_state_token_for(user=user)
    except redis.RedisError:
        logger.warning("Redis unreachable while reading a state token", exc_info=True)
        return None


def recommend_for_user(
    *, user: User | AnonymousUser | None, limit: int, language: str | None
) -> RecommendationResult:
    """Up to ``limit`` recommendations for ``user``, each with a reason.

    Anonymous users and users with an empty collection get popular anime spread across genres.
    Nothing the user has in their collection, marked "not interested", or that operators hid is
    ever returned. Any failure of the model or Redis falls back to popularity with
    ``degraded=True``.

    A computed answer is reused (per process, ``RESULT_TTL_SECONDS``) only while the model
    version, the catalogue (:mod:`recsys.serving.freshness`), the request and the user's state are
    unchanged. The state is the user's token in Redis, renewed by every change of the collection
    or "not interested" list (:func:`activity.state.user_state_changed`), or, while Redis is down,
    the stamp of those rows in the database. A new rating or "not interested" therefore shows in
    the very next answer. The result is shared: read it, do not change it.
    """
    catalogue_check()
    model = active_model()
    version = _served_version(model)
    lang = display_language(language)
    if user is None or not user.is_authenticated:
        key: tuple[Any, ...] = ("recs", model.version, model.degraded, None, limit, lang)
        return process_cache.get_or_set(
            key,
            RESULT_TTL_SECONDS,
            lambda: RecommendationResult(
                items=one_per_franchise(
                    _popular_items(exclude=set(hidden_anime_ids()), limit=limit, language=language)
                )[:limit],
                degraded=model.degraded,
                version=version,
            ),
        )

    # Most calls repeat an earlier one: compare the user's state before reading their rows. The
    # token is read before the rows, so a change during the computation keys a new answer.
    request_key = ("recs", model.version, model.degraded, user.pk, limit, lang)
    token = _state_token(user)
    state_key: Any = ("token", token) if token is not None else user_state_stamp(user_id=user.pk)
    cached = process_cache.get((*request_key, state_key))
    if cached is not None:
        result: RecommendationResult = cached
        return result
    state = user_state(user_id=user.pk)
    if token is None:
        state_key = state.stamp
    if not state.history.items:
        exclude = set(state.not_interested | hidden_anime_ids())
        items = _popular_items(exclude=exclude, limit=limit, language=language)
        items = one_per_franchise(items, avoided=state.not_interested)[:limit]
        degraded = model.degraded
    else:
        items, degraded = _fresh(model, user_id=user.pk, state=state, limit=limit, language=language)
    result = RecommendationResult(items=items, degraded=degraded or token is None, version=version)
    # A list that fell back because something failed just now is not worth keeping.
    if result.degraded == model.degraded:
        process_cache.set((*request_key, state_key), result, RESULT_TTL_SECONDS)
    return result
