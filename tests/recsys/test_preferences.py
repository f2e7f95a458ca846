"""The one preference definition: every row of the README's table, and both implementations agree."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.pipeline.contract import HistoryItem
from recsys.preferences import (
    Preference,
    disliked_anime_ids,
    liked_anime_ids,
    preference_of,
    preference_weights,
    preference_weights_grouped,
)


@pytest.mark.parametrize(
    ("score", "status", "favorite", "mean", "expected"),
    [
        (1, "completed", False, None, Preference.DISLIKED),  # BLEACH scored 1
        (3, "", False, 8.0, Preference.DISLIKED),  # SAO 3/10
        (4, "", True, None, Preference.DISLIKED),  # a favourite scored 4 is still disliked
        (9, "dropped", False, None, Preference.DISLIKED),  # dropped is negative whatever the score
        (None, "dropped", False, None, Preference.DISLIKED),
        (None, "want_to_watch", False, None, Preference.INTENT),  # plan-to-watch is never liked
        (None, "completed", False, None, Preference.WATCHED),
        (None, "", True, None, Preference.LIKED),  # favourite
        (7, "", False, 9.0, Preference.LIKED),
        (10, "completed", False, None, Preference.LIKED),
        (6, "", False, 5.5, Preference.LIKED),  # 5-6 at or above the user's own mean
        (6, "", False, 8.0, Preference.NEUTRAL),  # 5-6 below the user's own mean
        (5, "", False, None, Preference.NEUTRAL),
    ],
)
def test_preference_table(score, status, favorite, mean, expected):
    assert preference_of(score=score, status=status, is_favorite=favorite, user_mean=mean) is expected


def test_weights_are_graded_relative_to_the_user_mean_and_zero_for_dislikes():
    # mean of the scored entries: (10 + 6 + 2) / 3 = 6
    w = preference_weights(
        [10, 6, 2, np.nan, np.nan, np.nan],
        [False, True, False, False, False, False],
        ["", "", "", "want_to_watch", "completed", "dropped"],
    )
    assert w.tolist() == pytest.approx([1.5, 2 * 0.6, 0.0, 0.25, 0.7, 0.0])


def test_grouped_weights_equal_per_user_weights():
    rng = np.random.default_rng(3)
    n = 400
    user = np.sort(rng.integers(0, 30, size=n))
    scores = np.where(rng.random(n) < 0.3, np.nan, rng.integers(1, 11, size=n)).astype(float)
    favs = rng.random(n) < 0.1
    statuses = rng.choice(["", "completed", "dropped", "want_to_watch", "watching"], size=n).astype(object)
    grouped = preference_weights_grouped(user, scores, favs, statuses)
    for u in np.unique(user):
        rows = user == u
        np.testing.assert_allclose(
            grouped[rows], preference_weights(scores[rows], favs[rows], list(statuses[rows])), rtol=1e-6
        )


def test_reasons_may_cite_only_liked_anime():
    history = [
        HistoryItem(anime_id=1, score=1, status="completed"),  # disliked
        HistoryItem(anime_id=2, score=3),  # disliked
        HistoryItem(anime_id=3, status="want_to_watch"),  # intent
        HistoryItem(anime_id=4, score=9),  # liked
        HistoryItem(anime_id=5, is_favorite=True),  # liked
        HistoryItem(anime_id=6, status="completed"),  # watched, not cited
    ]
    assert liked_anime_ids(history) == {4, 5}
    assert disliked_anime_ids(history) == {1, 2}
