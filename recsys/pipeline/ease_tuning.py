"""Choosing EASE's L2 weight on a validation split (fit -> holdout, never the test split)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.pipeline.metrics import evaluate_lists
from recsys.pipeline.recommenders import EASERecommender, binary, gram_matrix

# EASE's L2 weight is chosen on fit -> holdout from this grid (the wide range of Steck's paper).
EASE_L2_GRID: tuple[float, ...] = (50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 5000.0)


def tune_ease(
    fit: sp.csr_matrix,
    holdout: sp.csr_matrix,
    *,
    grid: tuple[float, ...],
    min_item_users: int,
    max_items: int = 10_000,
    sample_users: int = 1500,
    seed: int = 0,
) -> tuple[EASERecommender, list[dict[str, float]]]:
    """Pick EASE's L2 weight by the mean of NDCG@20 and Recall@20 of fit -> holdout (a sample of
    users, never the test split); returns the fitted model of the best weight and the table
    (one row per weight: ``l2``, ``ndcg@20``, ``recall@20``, ``recall_norm@20``)."""
    x = binary(fit)
    kept = EASERecommender(min_item_users=min_item_users, max_items=max_items).supported_items(x)
    gram = gram_matrix(x, kept)
    users = np.flatnonzero(np.diff(holdout.tocsr().indptr) > 0)
    rng = np.random.default_rng(seed)
    if users.size > sample_users:
        users = np.sort(rng.choice(users, size=sample_users, replace=False))
    relevant = [holdout.indices[holdout.indptr[u] : holdout.indptr[u + 1]] for u in users.tolist()]
    best: EASERecommender | None = None
    best_value = -1.0
    table: list[dict[str, float]] = []
    for l2 in grid:
        model = EASERecommender(l2=l2, min_item_users=min_item_users, max_items=max_items).fit_kept(
            gram, kept, fit.shape[1]
        )
        ids, _ = model.recommend(fit[users], 20)
        m = evaluate_lists(ids, relevant, n_items=fit.shape[1], ks=(20,))
        table.append(
            {
                "l2": l2,
                "ndcg@20": m["ndcg@20"],
                "recall@20": m["recall@20"],
                "recall_norm@20": m["recall_norm@20"],
            }
        )
        value = (m["ndcg@20"] + m["recall@20"]) / 2
        if value > best_value:
            best, best_value = model, value
    assert best is not None
    return best, table
