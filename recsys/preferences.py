"""What a user's collection entry says about their taste: the one preference definition.

Training (the rows every model learns from, the graph edges, the ranker's labels), user vectors,
serving filters and "because you liked" reasons all read a collection entry through
:func:`preference_of` / :func:`preferences_of_user`; nothing else interprets scores or statuses.

===========================================  ================  ======================================
entry                                        preference        weight as a positive signal
===========================================  ================  ======================================
status "dropped" (any score)                 ``disliked``      0: never a positive, never a reason;
score 1-4                                    ``disliked``      its franchise and close neighbours are
                                                               pushed out of the user's list
favourite (not dropped, score >= 5 or none)  ``liked``         score weight (or 0.7) x 2
score >= 7                                   ``liked``         score weight
score 5-6, at or above the user's own mean   ``liked``         score weight
score 5-6, below the user's own mean         ``neutral``       score weight (a weak positive, no
                                                               reason)
no score, plan to watch                      ``intent``        0.25 (interest, never "liked")
no score, any other status                   ``watched``       0.7 (a mild positive, no reason)
"not interested" mark                        (not an entry)    excluded with its whole franchise;
                                                               its close neighbours are pushed down
===========================================  ================  ======================================

The score weight is ``clip((score - 3) / 5 + 0.1 x (score - user mean), 0.1, 1.5)``: an absolute
part (8 -> 1.0, 10 -> 1.4) graded by how the user scores (an 8 from a user whose mean is 6 weighs
1.2, from a user whose mean is 9, 0.9). The mean is
over the user's scored entries (none: no adjustment). Only ``liked`` entries are cited as reasons.

Pure Python / numpy: the training pipeline imports it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

DISLIKE_MAX_SCORE = 4
LIKE_MIN_SCORE = 7
FAVORITE_FACTOR = 2.0
WATCHED_WEIGHT = 0.7
INTENT_WEIGHT = 0.25
MEAN_SLOPE = 0.1
STATUS_DROPPED = "dropped"
STATUS_PLAN_TO_WATCH = "want_to_watch"


class Preference(StrEnum):
    LIKED = "liked"
    NEUTRAL = "neutral"
    WATCHED = "watched"
    INTENT = "intent"
    DISLIKED = "disliked"


POSITIVE = frozenset({Preference.LIKED, Preference.NEUTRAL, Preference.WATCHED, Preference.INTENT})
"""Preferences that make an entry a positive signal for the models (weight > 0)."""


def _scored(score: float | None) -> bool:
    return score is not None and not (isinstance(score, float) and math.isnan(score)) and score > 0


def user_mean_score(scores: Sequence[float | None]) -> float | None:
    """Mean of a user's 1-10 scores (None when the user scored nothing)."""
    values = [float(s) for s in scores if s is not None and _scored(s)]
    return sum(values) / len(values) if values else None


def preference_of(
    *, score: float | None, status: str = "", is_favorite: bool = False, user_mean: float | None = None
) -> Preference:
    """The preference one collection entry expresses (table in the module docstring).

    Parameters
    ----------
    score : float or None
        The user's 1-10 score (None / NaN / 0: unscored).
    status : str
        ``favorites.WatchStatus`` value ("" when unknown, as for data-set entries).
    is_favorite : bool
        The favourite flag.
    user_mean : float, optional
        The mean of the user's scores (:func:`user_mean_score`).
    """
    if status == STATUS_DROPPED:
        return Preference.DISLIKED
    if _scored(score):
        assert score is not None
        if score <= DISLIKE_MAX_SCORE:
            return Preference.DISLIKED
        if is_favorite or score >= LIKE_MIN_SCORE or (user_mean is not None and score >= user_mean):
            return Preference.LIKED
        return Preference.NEUTRAL
    if is_favorite:
        return Preference.LIKED
    if status == STATUS_PLAN_TO_WATCH:
        return Preference.INTENT
    return Preference.WATCHED


def score_weight(score: float, user_mean: float | None) -> float:
    """``clip((score - 3) / 5 + 0.1 x (score - user_mean), 0.1, 1.5)``."""
    relative = 0.0 if user_mean is None else MEAN_SLOPE * (score - user_mean)
    return float(min(max((score - 3.0) / 5.0 + relative, 0.1), 1.5))


def preference_weight(
    preference: Preference, *, score: float | None, is_favorite: bool, user_mean: float | None
) -> float:
    """How strongly the entry counts as a positive (0 for ``disliked``); see the module table."""
    if preference is Preference.DISLIKED:
        return 0.0
    if preference is Preference.INTENT:
        return INTENT_WEIGHT
    base = score_weight(score, user_mean) if score is not None and _scored(score) else WATCHED_WEIGHT
    return base * (FAVORITE_FACTOR if is_favorite else 1.0)


def preference_weights(
    scores: npt.ArrayLike, favorites: npt.ArrayLike, statuses: Sequence[str] | None = None
) -> npt.NDArray[np.float32]:
    """Weights of ONE user's entries (the user mean is taken over these scores); 0 = disliked.

    Parameters
    ----------
    scores : array_like of float
        1-10 scores, NaN when unscored.
    favorites : array_like of bool
        Favourite flags.
    statuses : sequence of str, optional
        Watch statuses ("" when unknown); None: all unknown.

    Returns
    -------
    numpy.ndarray
        float32 weight per entry, >= 0.
    """
    s = np.asarray(scores, dtype=np.float64)
    f = np.asarray(favorites, dtype=bool)
    st = list(statuses) if statuses is not None else [""] * s.shape[0]
    scored = ~np.isnan(s) & (s > 0)
    mean = float(s[scored].mean()) if scored.any() else None
    out = np.empty(s.shape[0], dtype=np.float32)
    for i in range(s.shape[0]):
        score = float(s[i]) if scored[i] else None
        pref = preference_of(score=score, status=st[i], is_favorite=bool(f[i]), user_mean=mean)
        out[i] = preference_weight(pref, score=score, is_favorite=bool(f[i]), user_mean=mean)
    return out


def user_mean_scores(user: npt.ArrayLike, scores: npt.ArrayLike, n_users: int) -> npt.NDArray[np.float64]:
    """Each user's mean score over their scored rows (NaN for a user without scores)."""
    u = np.asarray(user, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    scored = ~np.isnan(s) & (s > 0)
    sums = np.bincount(u[scored], weights=s[scored], minlength=n_users)
    counts = np.bincount(u[scored], minlength=n_users)
    out: npt.NDArray[np.float64] = np.full(n_users, np.nan)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out


def preference_weights_grouped(
    user: npt.ArrayLike,
    scores: npt.ArrayLike,
    favorites: npt.ArrayLike,
    statuses: npt.ArrayLike | None = None,
    user_means: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float32]:
    """:func:`preference_weights` for many users' rows at once (vectorised; same values).

    ``user`` gives each row's user; the mean score is per user (``user_means`` when given, e.g.
    computed before some rows were removed; else :func:`user_mean_scores` of these rows).
    """
    u = np.asarray(user, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    f = np.asarray(favorites, dtype=bool)
    st = np.asarray(statuses if statuses is not None else np.full(s.shape[0], ""), dtype=object)
    n = int(u.max()) + 1 if u.size else 0
    scored = ~np.isnan(s) & (s > 0)
    means = user_means if user_means is not None else user_mean_scores(u, s, n)
    mean = means[u] if u.size else np.zeros(0)
    has_mean = ~np.isnan(mean)
    relative = np.where(has_mean, MEAN_SLOPE * (s - np.nan_to_num(mean)), 0.0)
    sw = np.clip((s - 3.0) / 5.0 + relative, 0.1, 1.5)
    dropped = st == STATUS_DROPPED
    plan = st == STATUS_PLAN_TO_WATCH
    disliked = dropped | (scored & (s <= DISLIKE_MAX_SCORE))
    w = np.where(scored, sw, np.where(~f & plan, INTENT_WEIGHT, WATCHED_WEIGHT))
    w = w * np.where(f, FAVORITE_FACTOR, 1.0)
    w = np.where(disliked, 0.0, w)
    return w.astype(np.float32)


class _Entry(Protocol):
    @property
    def anime_id(self) -> int: ...
    @property
    def score(self) -> int | None: ...
    @property
    def status(self) -> str: ...
    @property
    def is_favorite(self) -> bool: ...


def preferences_by_anime(history: Sequence[_Entry]) -> dict[int, Preference]:
    """Each anime's preference in one user's history (the last entry per anime wins; the mean
    score over the whole history)."""
    latest = {h.anime_id: h for h in history}
    mean = user_mean_score([h.score for h in latest.values()])
    return {
        a: preference_of(score=h.score, status=h.status, is_favorite=h.is_favorite, user_mean=mean)
        for a, h in latest.items()
    }


def liked_anime_ids(history: Sequence[_Entry]) -> set[int]:
    """The anime a "because you liked" reason may cite."""
    return {a for a, p in preferences_by_anime(history).items() if p is Preference.LIKED}


def disliked_anime_ids(history: Sequence[_Entry]) -> set[int]:
    """Anime scored 1-4 or dropped: never seeds, never reasons; their franchise is left out."""
    return {a for a, p in preferences_by_anime(history).items() if p is Preference.DISLIKED}
