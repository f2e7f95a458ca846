"""EASE's L2 and EDLAE's dropout search: the grid walk finds the sweep's choice with fewer inverses."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.pipeline.ease_tuning import baseline_l2, hill_climb, tune_ease, tuning_value
from recsys.pipeline.params import PipelineParams, params_from_dict


def _counting(values: list[float]) -> tuple[list[int], object]:
    calls: list[int] = []

    def value(i: int) -> float:
        calls.append(i)
        return values[i]

    return calls, value


@pytest.mark.parametrize(
    ("values", "start", "expected"),
    [
        ([1, 2, 3, 4, 3, 2, 1, 0], 3, 3),  # the start is the peak
        ([1, 2, 3, 4, 3, 2, 1, 0], 0, 3),  # walks right
        ([1, 2, 3, 4, 3, 2, 1, 0], 7, 3),  # walks left
        ([9, 2, 1, 0, 0, 0, 0, 0], None, 0),  # the peak at the grid's end
        ([0, 1, 2, 3, 4, 5, 6, 7], None, 7),
        ([5], None, 0),
    ],
)
def test_walk_finds_the_peak_of_a_single_peaked_curve(values, start, expected):
    calls, value = _counting(values)
    best, seen = hill_climb(len(values), value, start=start)
    assert best == expected
    assert len(calls) == len(set(calls))  # each point measured once
    assert seen == {i: values[i] for i in calls}
    # interior choice: both neighbours inside the grid were measured and are not better
    for j in (best - 1, best + 1):
        if 0 <= j < len(values):
            assert j in seen and seen[j] <= seen[best]


def test_walk_measures_fewer_points_than_the_sweep_near_the_start():
    values = [0.30, 0.31, 0.315, 0.313, 0.307, 0.29, 0.27, 0.25]  # the README's EASE curve
    calls, value = _counting(values)
    best, _ = hill_climb(len(values), value, start=2)
    assert best == 2 and sorted(calls) == [1, 2, 3]


def test_walk_on_ties_keeps_the_first_best():
    calls, value = _counting([1.0, 1.0, 1.0])
    best, _ = hill_climb(3, value, start=1)
    assert best == 1 and sorted(calls) == [0, 1, 2]


def test_empty_grid_is_an_error():
    with pytest.raises(ValueError):
        hill_climb(0, lambda i: 0.0)


def _blocks(n_users: int = 120, n_items: int = 40, seed: int = 0) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Users who like one of four item blocks: fit rows and held-out rows from the same block."""
    rng = np.random.default_rng(seed)
    fit_rows, fit_cols, hold_rows, hold_cols = [], [], [], []
    for u in range(n_users):
        block = np.arange(10) + 10 * (u % 4)
        liked = rng.permutation(block)[:7]
        fit_rows += [u] * 5
        fit_cols += liked[:5].tolist()
        hold_rows += [u] * 2
        hold_cols += liked[5:].tolist()
    fit = sp.csr_matrix((np.ones(len(fit_rows)), (fit_rows, fit_cols)), shape=(n_users, n_items))
    hold = sp.csr_matrix((np.ones(len(hold_rows)), (hold_rows, hold_cols)), shape=(n_users, n_items))
    return fit, hold


def test_tune_ease_agrees_with_the_full_sweep():
    fit, hold = _blocks()
    grid = (0.5, 2.0, 8.0, 32.0, 128.0, 512.0)
    swept = {l2: tuning_value(tune_ease(fit, hold, grid=(l2,), min_item_users=1)[1][0]) for l2 in grid}
    model, table = tune_ease(fit, hold, grid=grid, min_item_users=1, start=2.0)
    assert model.l2 in swept
    assert tuning_value(next(r for r in table if r["l2"] == model.l2)) == pytest.approx(max(swept.values()))
    assert [r["l2"] for r in table] == sorted(r["l2"] for r in table)
    assert len(table) <= len(grid)


def test_tune_ease_walks_the_dropout_and_keeps_plain_ease_choice():
    fit, hold = _blocks(seed=1)
    grid = (0.5, 2.0, 8.0, 32.0, 128.0)
    dropouts = (0.0, 0.2, 1 / 3, 0.5, 2 / 3, 0.8)
    plain_model, plain_table = tune_ease(fit, hold, grid=grid, min_item_users=1, start=8.0)
    model, table = tune_ease(
        fit, hold, grid=grid, min_item_users=1, start=8.0, dropout_grid=dropouts, dropout_start=0.5
    )
    # plain EASE's own walk is the first walk of the joint one: the baseline's weight is the same
    assert baseline_l2(table) == plain_model.l2
    assert [r for r in table if r["dropout"] == 0.0] == plain_table
    # the choice is the best pair measured, dropout included
    chosen = next(r for r in table if r["l2"] == model.l2 and r["dropout"] == pytest.approx(model.dropout))
    assert tuning_value(chosen) == pytest.approx(max(tuning_value(r) for r in table))
    assert tuning_value(chosen) >= tuning_value(max(plain_table, key=tuning_value))
    # the dropout walk measured the neighbours of its choice at plain EASE's weight
    at_plain = {r["dropout"] for r in table if r["l2"] == plain_model.l2}
    assert {0.0, 0.5} <= at_plain and len(at_plain) >= 3
    assert [(r["dropout"], r["l2"]) for r in table] == sorted((r["dropout"], r["l2"]) for r in table)


def test_baseline_l2_needs_a_plain_row():
    with pytest.raises(ValueError, match="dropout-0"):
        baseline_l2([{"l2": 1.0, "dropout": 0.5, "ndcg@20": 0.1, "recall@20": 0.1}])


def test_params_stored_before_edlae_read_as_plain_ease():
    old = {"ease_l2": 400.0, "ease_l2_grid": [100, 200, 400, 800]}
    p = params_from_dict(old)
    assert (p.ease_l2, p.ease_dropout, p.ease_baseline_l2) == (400.0, 0.0, 400.0)
    assert p.ease_l2_grid == (100.0, 200.0, 400.0, 800.0)
    new = PipelineParams(ease_l2=200.0, ease_dropout=0.5, ease_baseline_l2=400.0)
    from dataclasses import asdict

    assert params_from_dict(asdict(new)) == new
