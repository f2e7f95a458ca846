"""Ranking metrics with binary relevance.

* ``recall@k = |top-k ∩ relevant| / |relevant|``: the standard recall (hits over held-out items);
  it cannot reach 1 for a user with more than k held-out items.
* ``recall_norm@k = |top-k ∩ relevant| / min(k, |relevant|)``: the normalised recall of Liang et
  al. (VAE-CF, 2018), so a perfect list scores 1 even when a user has more than k relevant items.
* ``ndcg@k = DCG@k / IDCG@k`` with ``DCG = sum_i rel_i / log2(i + 2)`` over positions ``i = 0..k-1``
  and the ideal DCG of ``min(k, |relevant|)`` hits.
* ``coverage@k``: distinct items recommended in anyone's top-k / number of items.

Users without relevant items are skipped; list entries of -1 (nothing recommended) never hit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt


def recall_at_k(recommended: Sequence[int] | npt.NDArray[np.int64], relevant: Iterable[int], k: int) -> float:
    """Normalised recall of one list: hits / min(k, |relevant|) (see module docstring)."""
    rel = set(int(r) for r in relevant)
    if not rel:
        return 0.0
    hits = sum(1 for x in list(recommended)[:k] if int(x) in rel)
    return hits / min(k, len(rel))


def recall_standard_at_k(
    recommended: Sequence[int] | npt.NDArray[np.int64], relevant: Iterable[int], k: int
) -> float:
    """Standard recall of one list: hits / |relevant| (see module docstring)."""
    rel = set(int(r) for r in relevant)
    if not rel:
        return 0.0
    hits = sum(1 for x in list(recommended)[:k] if int(x) in rel)
    return hits / len(rel)


def ndcg_at_k(recommended: Sequence[int] | npt.NDArray[np.int64], relevant: Iterable[int], k: int) -> float:
    """NDCG of one list with binary relevance (see module docstring)."""
    rel = set(int(r) for r in relevant)
    if not rel:
        return 0.0
    dcg = sum(1.0 / np.log2(i + 2) for i, x in enumerate(list(recommended)[:k]) if int(x) in rel)
    idcg = sum(1.0 / np.log2(i + 2) for i in range(min(k, len(rel))))
    return float(dcg / idcg)


def coverage_at_k(lists: npt.NDArray[np.int64], n_items: int, k: int) -> float:
    """Share of the ``n_items`` that appear in at least one top-k list."""
    if n_items <= 0:
        return 0.0
    top = np.asarray(lists)[:, :k]
    return float(np.unique(top[top >= 0]).size / n_items)


def evaluate_lists(
    lists: npt.NDArray[np.int64],
    relevant: Sequence[Sequence[int] | npt.NDArray[np.int64]],
    *,
    n_items: int,
    ks: Sequence[int] = (10, 20),
) -> dict[str, float]:
    """Mean recall@k and ndcg@k over users with relevant items, and coverage@k.

    Parameters
    ----------
    lists : numpy.ndarray
        ``(n_users, >= max(ks))`` recommended item indices, -1 padded.
    relevant : sequence
        Relevant item indices per user (aligned with ``lists``).
    n_items : int
        Size of the item universe (coverage denominator).
    ks : sequence of int
        Cut-offs.

    Returns
    -------
    dict
        ``recall@k`` (standard), ``recall_norm@k`` (normalised), ``ndcg@k``, ``coverage@k`` for
        each k, and ``users`` (users evaluated).
    """
    out: dict[str, float] = {}
    evaluated = [i for i, rel in enumerate(relevant) if len(rel) > 0]
    for k in ks:
        out[f"recall@{k}"] = (
            float(np.mean([recall_standard_at_k(lists[i], relevant[i], k) for i in evaluated]))
            if evaluated
            else 0.0
        )
        out[f"recall_norm@{k}"] = (
            float(np.mean([recall_at_k(lists[i], relevant[i], k) for i in evaluated])) if evaluated else 0.0
        )
        out[f"ndcg@{k}"] = (
            float(np.mean([ndcg_at_k(lists[i], relevant[i], k) for i in evaluated])) if evaluated else 0.0
        )
    for k in ks:
        out[f"coverage@{k}"] = coverage_at_k(lists[evaluated] if evaluated else lists[:0], n_items, k)
    out["users"] = float(len(evaluated))
    return out
