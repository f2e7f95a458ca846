"""Annoy (angular) index over item vectors, and the measurement that picks its parameters.

Annoy trades recall for speed through ``n_trees`` (built once) and ``search_k`` (per query).
:func:`annoy_recall_table` measures recall@k against exact cosine search on the real vectors for
a grid of both; :func:`choose_annoy_config` takes the fastest configuration that reaches the
target recall.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from annoy import AnnoyIndex

from recsys.pipeline.embeddings import normalize_rows


@dataclass(frozen=True)
class AnnoyConfig:
    """Chosen Annoy parameters (``search_k=-1``: Annoy's default ``n_trees * n``)."""

    n_trees: int
    search_k: int


def build_annoy(
    vectors: npt.NDArray[np.float32],
    indexed: npt.NDArray[np.bool_],
    *,
    n_trees: int,
    seed: int,
) -> AnnoyIndex:
    """An angular Annoy index holding the items where ``indexed`` is true, keyed by item index.

    Parameters
    ----------
    vectors : numpy.ndarray
        float32 ``(n_items, dim)``.
    indexed : numpy.ndarray
        bool mask of the items to index.
    n_trees : int
        Number of trees.
    seed : int
        Annoy's seed (same seed and data: same index).

    Returns
    -------
    annoy.AnnoyIndex
        The built index.
    """
    dim = int(vectors.shape[1])
    index = AnnoyIndex(dim, "angular")
    index.set_seed(seed)
    for i in np.flatnonzero(indexed).tolist():
        index.add_item(i, vectors[i].tolist())
    index.build(n_trees, n_jobs=1)
    return index


def save_annoy(index: AnnoyIndex, path: Path) -> None:
    """Write the index in Annoy's own format (memory-mapped by :func:`load_annoy`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    index.save(str(path))


def load_annoy(path: Path, dim: int) -> AnnoyIndex:
    """Memory-map an index written by :func:`save_annoy`."""
    index = AnnoyIndex(dim, "angular")
    index.load(str(path), prefault=False)
    return index


def exact_neighbours(
    unit_vectors: npt.NDArray[np.float32],
    indexed: npt.NDArray[np.bool_],
    queries: npt.NDArray[np.float32],
    k: int,
) -> npt.NDArray[np.int64]:
    """Exact top-k by cosine among the indexed items, for each query (unit vectors)."""
    ids = np.flatnonzero(indexed)
    sims = normalize_rows(queries) @ unit_vectors[ids].T
    k = min(k, ids.size)
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
    return np.asarray(ids[np.take_along_axis(top, order, axis=1)], dtype=np.int64)


def annoy_recall_table(
    vectors: npt.NDArray[np.float32],
    indexed: npt.NDArray[np.bool_],
    queries: npt.NDArray[np.float32],
    *,
    k: int = 50,
    n_trees_grid: Sequence[int] = (5, 10, 25, 50),
    search_k_grid: Sequence[int] = (-1, 2000, 5000, 20000),
    seed: int = 42,
) -> list[dict[str, float]]:
    """Recall@k of Annoy against exact cosine search, per ``(n_trees, search_k)``.

    Parameters
    ----------
    vectors : numpy.ndarray
        Item vectors.
    indexed : numpy.ndarray
        Items in the index.
    queries : numpy.ndarray
        Query vectors (item and user vectors, as the recall channels use them).
    k : int
        Neighbours per query.
    n_trees_grid, search_k_grid : sequence of int
        The grid.
    seed : int
        Annoy seed.

    Returns
    -------
    list of dict
        One row per configuration: ``n_trees``, ``search_k``, ``recall`` (mean over queries of
        |annoy top-k ∩ exact top-k| / k), ``ms_per_query``, ``build_s``.
    """
    unit = normalize_rows(vectors)
    truth = exact_neighbours(unit, indexed, queries, k)
    k_eff = truth.shape[1]
    rows: list[dict[str, float]] = []
    for n_trees in n_trees_grid:
        start = time.perf_counter()
        index = build_annoy(vectors, indexed, n_trees=n_trees, seed=seed)
        build_s = time.perf_counter() - start
        for search_k in search_k_grid:
            hits = 0
            start = time.perf_counter()
            for q, expected in zip(queries, truth, strict=True):
                got = index.get_nns_by_vector(q.tolist(), k_eff, search_k=search_k)
                hits += len(set(got) & set(expected.tolist()))
            elapsed = time.perf_counter() - start
            rows.append(
                {
                    "n_trees": float(n_trees),
                    "search_k": float(search_k),
                    "recall": hits / max(1, k_eff * len(queries)),
                    "ms_per_query": 1000.0 * elapsed / max(1, len(queries)),
                    "build_s": build_s,
                }
            )
        index.unload()
    return rows


def choose_annoy_config(
    table: Sequence[dict[str, float]], *, k: int = 50, min_recall: float = 0.95
) -> AnnoyConfig:
    """The cheapest configuration whose measured recall reaches ``min_recall``.

    "Cheapest" is the number of nodes a query inspects (``search_k``, or ``n_trees * k`` for -1),
    then fewer trees: query time is proportional to it, and unlike a wall-clock reading on a shared
    machine it gives the same choice on every run. When no configuration reaches the target, the
    one with the highest recall.
    """
    if not table:
        return AnnoyConfig(n_trees=10, search_k=-1)

    def work(row: dict[str, float]) -> tuple[float, float]:
        search_k = row["search_k"] if row["search_k"] > 0 else row["n_trees"] * k
        return (search_k, row["n_trees"])

    good = [r for r in table if r["recall"] >= min_recall]
    best = min(good, key=work) if good else max(table, key=lambda r: (r["recall"], -work(r)[0]))
    return AnnoyConfig(n_trees=int(best["n_trees"]), search_k=int(best["search_k"]))
