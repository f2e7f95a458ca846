"""Choosing EASE's L2 weight and EDLAE's dropout on a validation split (fit -> holdout, never the
test split).

Each pair costs one inverse of the kept items' Gram matrix (about 5 s for the real data's
7,390 items on two cores), so the grid is walked, not swept: :func:`tune_ease` starts at one
weight, measures its neighbours on the log-spaced grid and moves towards the better one until the
best weight has a worse (or no) neighbour on both sides. On a curve with one peak, as EASE's is
in the L2 weight (Steck 2019, figure 1; the README's table), that finds the weight a full sweep
finds, in three or four inverses instead of eight. The dropout (EDLAE, Steck 2020: see
:class:`~recsys.pipeline.recommenders.EASERecommender`) is walked the same way on its own grid.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from recsys.pipeline.metrics import evaluate_lists
from recsys.pipeline.recommenders import EASERecommender, binary, gram_matrix

# EASE's L2 weight is chosen on fit -> holdout from this grid (the wide range of Steck's paper).
EASE_L2_GRID: tuple[float, ...] = (50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 5000.0)
# EDLAE's dropout probability p: p / (1 - p) = 0, 1/4, 1/2, 1, 2, 4 (0 is plain EASE).
EDLAE_DROPOUT_GRID: tuple[float, ...] = (0.0, 0.2, 1 / 3, 0.5, 2 / 3, 0.8)


def tuning_value(row: dict[str, float]) -> float:
    """What the L2 search maximises: the mean of NDCG@20 and Recall@20 on the holdout."""
    return (row["ndcg@20"] + row["recall@20"]) / 2


def hill_climb(
    n: int, value: Callable[[int], float], *, start: int | None = None
) -> tuple[int, dict[int, float]]:
    """The best index of a grid of ``n`` points by walking from ``start`` to the better neighbour.

    Parameters
    ----------
    n : int
        Number of grid points (indices 0 ... n - 1), ``n >= 1``.
    value : callable
        ``value(index)``: the figure to maximise; called at most once per index.
    start : int, optional
        First index measured (default: the middle, ``(n - 1) // 2``); clipped into the grid.

    Returns
    -------
    tuple
        The chosen index (a local maximum: each neighbour inside the grid was measured and is not
        better) and every measured index -> value.
    """
    if n < 1:
        raise ValueError("an empty grid has no best point")
    seen: dict[int, float] = {}

    def at(i: int) -> float:
        if i not in seen:
            seen[i] = value(i)
        return seen[i]

    best = min(max((n - 1) // 2 if start is None else start, 0), n - 1)
    at(best)
    while True:
        around = [i for i in (best - 1, best + 1) if 0 <= i < n]
        better = max(around, key=at, default=best)
        if around and at(better) > at(best):
            best = better
        else:
            return best, seen


def tune_ease(
    fit: sp.csr_matrix,
    holdout: sp.csr_matrix,
    *,
    grid: tuple[float, ...],
    min_item_users: int,
    max_items: int = 10_000,
    sample_users: int = 1500,
    seed: int = 0,
    start: float | None = None,
    dropout_grid: tuple[float, ...] = (0.0,),
    dropout_start: float = 0.0,
) -> tuple[EASERecommender, list[dict[str, float]]]:
    """Pick EASE's L2 weight and EDLAE's dropout by :func:`tuning_value` on fit -> holdout (a
    sample of users, never the test split).

    Three walks (:func:`hill_climb`), one coordinate at a time:

    1. ``grid`` at dropout 0 from ``start`` (the grid value nearest to it on a log scale; default
       the grid's middle): plain EASE's weight (:func:`baseline_l2` reads it from the table);
    2. ``dropout_grid`` at that weight, from the value nearest ``dropout_start``;
    3. ``grid`` again at the chosen dropout, when it is not 0.

    Returns
    -------
    tuple
        The fitted model of the best pair measured, and the table of the pairs measured (one row
        each: ``l2``, ``dropout``, ``ndcg@20``, ``recall@20``, ``recall_norm@20``), sorted by
        dropout, then weight.
    """
    if not grid:
        raise ValueError("the L2 grid is empty")
    dropouts = tuple(sorted(set(dropout_grid) | {0.0}))
    x = binary(fit)
    kept = EASERecommender(min_item_users=min_item_users, max_items=max_items).supported_items(x)
    gram = gram_matrix(x, kept)
    users = np.flatnonzero(np.diff(holdout.tocsr().indptr) > 0)
    rng = np.random.default_rng(seed)
    if users.size > sample_users:
        users = np.sort(rng.choice(users, size=sample_users, replace=False))
    relevant = [holdout.indices[holdout.indptr[u] : holdout.indptr[u + 1]] for u in users.tolist()]
    models: dict[tuple[int, int], EASERecommender] = {}
    rows: dict[tuple[int, int], dict[str, float]] = {}

    def measure(i: int, d: int) -> float:
        if (i, d) in rows:
            return tuning_value(rows[i, d])
        model = EASERecommender(
            l2=grid[i], min_item_users=min_item_users, max_items=max_items, dropout=dropouts[d]
        ).fit_kept(gram, kept, fit.shape[1])
        ids, _ = model.recommend(fit[users], 20)
        m = evaluate_lists(ids, relevant, n_items=fit.shape[1], ks=(20,))
        rows[i, d] = {
            "l2": grid[i],
            "dropout": dropouts[d],
            "ndcg@20": m["ndcg@20"],
            "recall@20": m["recall@20"],
            "recall_norm@20": m["recall_norm@20"],
        }
        models[i, d] = model
        # Only the best models so far are kept (each is n^2 floats); the choice is one of them.
        top = max(tuning_value(row) for row in rows.values())
        for key in [key for key in models if tuning_value(rows[key]) < top]:
            del models[key]
        return tuning_value(rows[i, d])

    first = None
    if start is not None and start > 0:
        first = int(np.argmin(np.abs(np.log(np.asarray(grid)) - np.log(start))))
    plain, _ = hill_climb(len(grid), lambda i: measure(i, 0), start=first)
    if len(dropouts) > 1:
        d_first = int(np.argmin(np.abs(np.asarray(dropouts) - dropout_start)))
        d, _ = hill_climb(len(dropouts), lambda j: measure(plain, j), start=d_first)
        if d > 0:
            hill_climb(len(grid), lambda i: measure(i, d), start=plain)
    best = max(rows, key=lambda key: tuning_value(rows[key]))
    return models[best], [rows[key] for key in sorted(rows, key=lambda key: (key[1], key[0]))]


def baseline_l2(table: list[dict[str, float]]) -> float:
    """Plain EASE's weight (dropout 0) of a :func:`tune_ease` table: its best row by
    :func:`tuning_value`."""
    plain = [row for row in table if row.get("dropout", 0.0) == 0.0]
    if not plain:
        raise ValueError("the table has no dropout-0 row")
    return float(max(plain, key=tuning_value)["l2"])
