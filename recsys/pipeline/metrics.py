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


class ListMetrics:
    """Streaming form of :func:`evaluate_lists`: feed the lists of one batch of users at a time
    (:meth:`update`), read the means over every user fed so far (:meth:`result`). Memory: the
    running sums and one boolean per item and cut-off (coverage), whatever the number of users.

    Parameters
    ----------
    n_items : int
        Size of the item universe (coverage denominator).
    ks : sequence of int
        Cut-offs.
    """

    def __init__(self, n_items: int, ks: Sequence[int] = (10, 20)) -> None:
        self.n_items = n_items
        self.ks = tuple(ks)
        self.users = 0
        self.sums = {f"{name}@{k}": 0.0 for k in self.ks for name in ("recall", "recall_norm", "ndcg")}
        self.seen = {k: np.zeros(max(n_items, 0), dtype=bool) for k in self.ks}

    def update(
        self, lists: npt.NDArray[np.int64], relevant: Sequence[Sequence[int] | npt.NDArray[np.int64]]
    ) -> None:
        """Add one batch: ``lists`` ``(n, >= max(ks))`` (-1 padded), ``relevant`` aligned with it;
        users without relevant items are skipped."""
        evaluated = [i for i, rel in enumerate(relevant) if len(rel) > 0]
        self.users += len(evaluated)
        for k in self.ks:
            for i in evaluated:
                self.sums[f"recall@{k}"] += recall_standard_at_k(lists[i], relevant[i], k)
                self.sums[f"recall_norm@{k}"] += recall_at_k(lists[i], relevant[i], k)
                self.sums[f"ndcg@{k}"] += ndcg_at_k(lists[i], relevant[i], k)
            top = np.asarray(lists)[evaluated, :k] if evaluated else np.zeros((0, k), dtype=np.int64)
            hit = top[(top >= 0) & (top < self.n_items)]
            self.seen[k][hit] = True

    def result(self) -> dict[str, float]:
        """The :func:`evaluate_lists` dict over every user fed so far."""
        out: dict[str, float] = {}
        for k in self.ks:
            for name in ("recall", "recall_norm", "ndcg"):
                key = f"{name}@{k}"
                out[key] = self.sums[key] / self.users if self.users else 0.0
        for k in self.ks:
            out[f"coverage@{k}"] = float(self.seen[k].sum() / self.n_items) if self.n_items > 0 else 0.0
        out["users"] = float(self.users)
        return out


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
        each k, and ``users`` (users evaluated). One batch of :class:`ListMetrics`.
    """
    acc = ListMetrics(n_items, ks)
    acc.update(lists, relevant)
    return acc.result()
