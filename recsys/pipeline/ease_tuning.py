"""Choosing EASE's L2 weight on a validation split (fit -> holdout, never the test split).

Each weight costs one inverse of the kept items' Gram matrix (about 5 s for the real data's
7,390 items on two cores), so the grid is walked, not swept: :func:`tune_ease` starts at one
weight, measures its neighbours on the log-spaced grid and moves towards the better one until the
best weight has a worse (or no) neighbour on both sides. On a curve with one peak, as EASE's is
in the L2 weight (Steck 2019, figure 1; the README's table), that finds the weight a full sweep
finds, in three or four inverses instead of eight.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from recsys.pipeline.metrics import evaluate_lists
from recsys.pipeline.recommenders import EASERecommender, binary, gram_matrix

# EASE's L2 weight is chosen on fit -> holdout from this grid (the wide range of Steck's paper).
EASE_L2_GRID: tuple[float, ...] = (50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 5000.0)


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
) -> tuple[EASERecommender, list[dict[str, float]]]:
    """Pick EASE's L2 weight by :func:`tuning_value` on fit -> holdout (a sample of users, never
    the test split), walking ``grid`` with :func:`hill_climb` from ``start`` (the grid value
    nearest to it on a log scale; default the grid's middle).

    Returns
    -------
    tuple
        The fitted model of the chosen weight, and the table of the weights measured, in grid
        order (one row each: ``l2``, ``ndcg@20``, ``recall@20``, ``recall_norm@20``).
    """
    if not grid:
        raise ValueError("the L2 grid is empty")
    x = binary(fit)
    kept = EASERecommender(min_item_users=min_item_users, max_items=max_items).supported_items(x)
    gram = gram_matrix(x, kept)
    users = np.flatnonzero(np.diff(holdout.tocsr().indptr) > 0)
    rng = np.random.default_rng(seed)
    if users.size > sample_users:
        users = np.sort(rng.choice(users, size=sample_users, replace=False))
    relevant = [holdout.indices[holdout.indptr[u] : holdout.indptr[u + 1]] for u in users.tolist()]
    models: dict[int, EASERecommender] = {}
    rows: dict[int, dict[str, float]] = {}

    def measure(i: int) -> float:
        model = EASERecommender(l2=grid[i], min_item_users=min_item_users, max_items=max_items).fit_kept(
            gram, kept, fit.shape[1]
        )
        ids, _ = model.recommend(fit[users], 20)
        m = evaluate_lists(ids, relevant, n_items=fit.shape[1], ks=(20,))
        rows[i] = {
            "l2": grid[i],
            "ndcg@20": m["ndcg@20"],
            "recall@20": m["recall@20"],
            "recall_norm@20": m["recall_norm@20"],
        }
        models[i] = model
        # Only the best models so far are kept (each is n^2 floats); the walk's choice is one of
        # them: no measured weight beats it.
        top = max(tuning_value(row) for row in rows.values())
        for j in [j for j in models if tuning_value(rows[j]) < top]:
            del models[j]
        return tuning_value(rows[i])

    first = None
    if start is not None and start > 0:
        first = int(np.argmin(np.abs(np.log(np.asarray(grid)) - np.log(start))))
    best, _ = hill_climb(len(grid), measure, start=first)
    return models[best], [rows[i] for i in sorted(rows)]
