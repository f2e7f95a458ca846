"""Popularity damping of "fans also liked" and the held-out check that chooses it."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.pipeline.cooccurrence import choose_damping, damped_order, damping_check


def test_damping_puts_a_less_popular_neighbour_with_a_close_cosine_first():
    ids = np.array([7, 3, -1], dtype=np.int64)
    sims = np.array([0.50, 0.45, 0.0], dtype=np.float32)
    counts = np.zeros(10, dtype=np.float32)
    counts[7], counts[3] = 4000.0, 100.0
    undamped, _ = damped_order(ids, sims, counts, 0.0)
    damped, scores = damped_order(ids, sims, counts, 0.5)
    assert undamped.tolist() == [7, 3]
    assert damped.tolist() == [3, 7]
    assert scores[0] == pytest.approx(0.45 / 10.0)


def test_the_check_rewards_what_the_anime_explains_not_what_everyone_likes():
    # anime 0's fans like anime 2 (a niche show) more than users in general do; anime 1 is liked by
    # everyone. A list of [1] has the higher precision, a list of [2] the higher excess over the
    # base rate.
    users = [frozenset({0, 1, 2})] * 8 + [frozenset({1})] * 32 + [frozenset({0, 1})] * 2
    lists = {0.0: [1], 0.5: [2]}
    rows = damping_check(
        anime=[0],
        neighbours=lambda a, alpha: lists[alpha],
        heldout_liked=users,
        popular=frozenset({1}),
        grid=(0.0, 0.5),
    )
    by_alpha = {r.alpha: r for r in rows}
    assert by_alpha[0.0].precision == pytest.approx(1.0)
    assert by_alpha[0.5].precision == pytest.approx(0.8)
    assert by_alpha[0.0].popular_share == 1.0 and by_alpha[0.5].popular_share == 0.0
    assert by_alpha[0.5].excess > by_alpha[0.0].excess
    assert choose_damping(rows).alpha == 0.5
