"""The ranker's training data: the recalled candidates of each user with held-out items."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from recsys.pipeline.arrays import GroupStore
from recsys.pipeline.candidates import FEATURE_NAMES, CandidateSet, Channels
from recsys.pipeline.threads import single_threaded_blas

Progress = Callable[[str], None]


def ranker_groups(
    channels: Channels,
    history: sp.csr_matrix,
    labels: sp.csr_matrix,
    *,
    random_negatives: int,
    seed: int,
    progress: Progress | None = None,
) -> GroupStore:
    """Training groups for the ranker: one per user with held-out items.

    For each user: the candidates recalled from ``history`` plus ``random_negatives`` random items,
    with features from ``channels``; label 1 for the held-out items (``labels``) among them. Held-out
    items that no channel recalls are left out: at serving time the ranker only ever sees recalled
    items, and learning from the others made it worse (measured).

    Parameters
    ----------
    channels : Channels
        Channels fitted on ``history`` only.
    history : scipy.sparse.csr_matrix
        Users x items weights the channels saw.
    labels : scipy.sparse.csr_matrix
        Users x items held-out positives.
    random_negatives : int
        Random items added per user.
    seed : int
        Seed of the random negatives.
    progress : callable, optional
        Progress lines.

    Returns
    -------
    GroupStore
        One ``(features, labels)`` group per user (features float32, ``FEATURE_NAMES`` columns),
        written once to a scratch file: memory stays flat in users. The caller closes it.
    """
    rng = np.random.default_rng(seed)
    h = history.tocsr()
    y = labels.tocsr()
    groups = GroupStore(len(FEATURE_NAMES))  # in TMPDIR; the file goes with it on an error
    users = np.flatnonzero(np.diff(y.indptr) > 0)
    with single_threaded_blas():
        for done, u in enumerate(users.tolist()):
            cs = user_candidates(channels, h, u, random_negatives=random_negatives, rng=rng)
            if cs is not None:
                positives = y.indices[y.indptr[u] : y.indptr[u + 1]]
                groups.append(cs.features, np.isin(cs.items, positives).astype(np.float32))
            if progress is not None and (done + 1) % 1000 == 0:
                progress(f"ranker data: {done + 1}/{users.size} users")
    return groups.finish()


def user_candidates(
    channels: Channels,
    history: sp.csr_matrix,
    u: int,
    *,
    random_negatives: int,
    rng: np.random.Generator,
) -> CandidateSet | None:
    """Row ``u`` of ``history``'s recalled candidates plus up to ``random_negatives`` random items
    it does not hold (drawn from ``rng``), with features; None for an empty row."""
    lo, hi = history.indptr[u], history.indptr[u + 1]
    items = history.indices[lo:hi].astype(np.int64)
    if items.size == 0:
        return None
    weights = history.data[lo:hi].astype(np.float32)
    negatives = np.unique(rng.integers(0, history.shape[1], size=random_negatives))
    return channels.candidates(items, weights, extra=negatives[~np.isin(negatives, items)])
