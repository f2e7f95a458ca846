"""One small interface for every recommender, and the baselines that implement it.

The interface follows implicit's ``RecommenderBase``: ``fit`` on a users x items matrix,
``recommend`` for a batch of users given their items (already-known items never come back),
``similar_items``, ``save`` / ``load`` to a folder (numpy without pickle, Annoy files, JSON).

Baselines: :class:`PopularityRecommender`, :class:`ItemKNNRecommender` (cosine, top-k neighbours),
:class:`EASERecommender` (Steck 2019, closed form); :class:`recsys.pipeline.deepwalk.DeepWalkRecommender`
(item vectors learned from random walks) implements the same interface. The full pipeline
(:class:`recsys.pipeline.ranking.PipelineRecommender`) implements the same interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.pipeline.arrays import (
    gram_matrix,
    load_array,
    load_meta,
    save_arrays,
    spd_inverse,
    supported_columns,
)
from recsys.pipeline.data import ItemTable
from recsys.pipeline.walks import EdgeList

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass
class TrainData:
    """What :meth:`Recommender.fit` receives.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Users x items interaction weights (> 0 where the user has the item).
    items : ItemTable
        Item metadata aligned with the columns.
    positions : scipy.sparse.csr_matrix, optional
        Same sparsity; 1-based position of each item in the user's behaviour sequence. Needed by
        DeepWalk unless ``graph`` is given.
    graph : EdgeList, optional
        A prebuilt item graph (the Spark job's), used instead of ``positions``.
    """

    matrix: sp.csr_matrix
    items: ItemTable
    positions: sp.csr_matrix | None = None
    graph: EdgeList | None = None

    @property
    def n_users(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.matrix.shape[1])


def binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The 0/1 pattern of a sparse matrix, float32."""
    out = matrix.tocsr().astype(np.float32, copy=True)
    out.data[:] = 1.0
    out.eliminate_zeros()
    return out


def top_k_rows(scores: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
    """Indices and values of the k best finite scores per row, best first; -1 / -inf pad."""
    n_rows, n_cols = scores.shape
    k_eff = min(k, n_cols)
    ids = np.full((n_rows, k), -1, dtype=np.int64)
    vals = np.full((n_rows, k), -np.inf, dtype=np.float32)
    if k_eff == 0 or n_rows == 0:
        return ids, vals
    top = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff]
    top_vals = np.take_along_axis(scores, top, axis=1)
    order = np.lexsort((top, -top_vals), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    top_vals = np.take_along_axis(top_vals, order, axis=1)
    finite = np.isfinite(top_vals)
    ids[:, :k_eff] = np.where(finite, top, -1)
    vals[:, :k_eff] = np.where(finite, top_vals, -np.inf)
    return ids, vals


class Recommender(ABC):
    """The interface every recommender implements (popularity, ItemKNN, EASE, DeepWalk, pipeline)."""

    name: ClassVar[str]

    @abstractmethod
    def fit(self, train: TrainData) -> Self:
        """Learn from ``train``; returns ``self``."""

    @abstractmethod
    def score(self, user_items: sp.csr_matrix) -> FloatArray:
        """Dense scores ``(n_rows, n_items)`` for a batch of users given their items.

        ``-inf`` marks items the model cannot recommend. Known items are not masked here.
        """

    def recommend(self, user_items: sp.csr_matrix, k: int) -> tuple[IntArray, FloatArray]:
        """Top-k items per row of ``user_items``, never an item the row already has.

        Parameters
        ----------
        user_items : scipy.sparse.csr_matrix
            Batch of users x items (weights > 0 for the user's items).
        k : int
            Items per user.

        Returns
        -------
        ids : numpy.ndarray
            int64 ``(n_rows, k)`` item indices, best first, -1 where fewer than k are available.
        scores : numpy.ndarray
            float32 ``(n_rows, k)``.
        """
        rows = user_items.tocsr()
        scores = self.score(rows).astype(np.float32, copy=True)
        r, c = rows.nonzero()
        scores[r, c] = -np.inf
        return top_k_rows(scores, k)

    @abstractmethod
    def similar_items(self, item: int, k: int) -> tuple[IntArray, FloatArray]:
        """The k items most similar to ``item`` (never the item itself), best first."""

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write the fitted model into ``directory`` (created if needed)."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path) -> Self:
        """Read a model written by :meth:`save`."""


def _similar_from_dense(row: FloatArray, item: int, k: int) -> tuple[IntArray, FloatArray]:
    values = np.asarray(row, dtype=np.float32).copy()
    values[item] = -np.inf
    ids, vals = top_k_rows(values[None, :], k)
    return ids[0], vals[0]


# --- popularity -----------------------------------------------------------------------------------


class PopularityRecommender(Recommender):
    """Most users first. ``similar_items`` returns the most popular items sharing a genre."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts: FloatArray = np.zeros(0, dtype=np.float32)
        self.genres: npt.NDArray[np.uint8] = np.zeros((0, 0), dtype=np.uint8)

    def fit(self, train: TrainData) -> Self:
        self.counts = np.asarray(binary(train.matrix).sum(axis=0), dtype=np.float32).ravel()
        self.genres = train.items.genres
        return self

    def score(self, user_items: sp.csr_matrix) -> FloatArray:
        return np.tile(self.counts, (user_items.shape[0], 1))

    def similar_items(self, item: int, k: int) -> tuple[IntArray, FloatArray]:
        values = self.counts.copy()
        if self.genres.shape[1] and self.genres[item].any():
            shares = (self.genres.astype(np.int32) @ self.genres[item].astype(np.int32)) > 0
            values = np.where(shares, values, -np.inf).astype(np.float32)
        return _similar_from_dense(values, item, k)

    def save(self, directory: Path) -> None:
        save_arrays(directory, {"model": self.name}, counts=self.counts, genres=self.genres)

    @classmethod
    def load(cls, directory: Path) -> Self:
        model = cls()
        model.counts = load_array(directory, "counts")
        model.genres = load_array(directory, "genres")
        return model


# --- ItemKNN --------------------------------------------------------------------------------------


class ItemKNNRecommender(Recommender):
    """Item-based k-nearest neighbours with cosine similarity on the binary matrix.

    Only each item's ``k_neighbours`` most similar items are kept (``neighbours`` / ``similarities``
    arrays, ``n_items x k``); a user's score for an item is the sum of its similarities to the
    user's items.
    """

    name = "itemknn"

    def __init__(self, k_neighbours: int = 100, block: int = 1024) -> None:
        self.k_neighbours = k_neighbours
        self.block = block
        self.neighbours: npt.NDArray[np.int32] = np.zeros((0, 0), dtype=np.int32)
        self.similarities: FloatArray = np.zeros((0, 0), dtype=np.float32)

    @property
    def n_items(self) -> int:
        return int(self.neighbours.shape[0])

    def fit(self, train: TrainData) -> Self:
        x = binary(train.matrix).tocsc()
        n = train.n_items
        k = max(1, min(self.k_neighbours, n - 1))
        norms = np.sqrt(np.asarray(x.sum(axis=0), dtype=np.float64).ravel())
        inv = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
        xt = x.T.tocsr()
        neighbours = np.zeros((n, k), dtype=np.int32)
        sims = np.zeros((n, k), dtype=np.float32)
        for lo in range(0, n, self.block):
            hi = min(lo + self.block, n)
            block = np.asarray((xt[lo:hi] @ x).toarray(), dtype=np.float32)
            block *= inv[lo:hi, None]
            block *= inv[None, :]
            block[np.arange(hi - lo), np.arange(lo, hi)] = -np.inf
            ids, vals = top_k_rows(block, k)
            vals = np.where(np.isfinite(vals) & (vals > 0), vals, 0.0)
            neighbours[lo:hi] = np.where(ids >= 0, ids, 0)
            sims[lo:hi] = vals
        self.neighbours, self.similarities = neighbours, sims
        return self

    def weight_matrix(self) -> sp.csr_matrix:
        """The sparse item x item similarity matrix (row: item, columns: its neighbours)."""
        n, k = self.neighbours.shape
        rows = np.repeat(np.arange(n), k)
        return sp.csr_matrix(
            (self.similarities.ravel(), (rows, self.neighbours.ravel())), shape=(n, n), dtype=np.float32
        )

    def score(self, user_items: sp.csr_matrix) -> FloatArray:
        return np.asarray((binary(user_items) @ self.weight_matrix()).toarray(), dtype=np.float32)

    def score_user(self, items: npt.NDArray[np.int64]) -> FloatArray:
        """Scores of every item for one user owning ``items`` (no sparse matrix: serving path)."""
        if items.size == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        return np.bincount(
            self.neighbours[items].ravel(), weights=self.similarities[items].ravel(), minlength=self.n_items
        ).astype(np.float32)

    def similar_items(self, item: int, k: int) -> tuple[IntArray, FloatArray]:
        row = np.full(self.n_items, -np.inf, dtype=np.float32)
        nz = self.similarities[item] > 0
        row[self.neighbours[item][nz]] = self.similarities[item][nz]
        return _similar_from_dense(row, item, k)

    def save(self, directory: Path) -> None:
        save_arrays(
            directory,
            {"model": self.name, "k_neighbours": self.k_neighbours},
            neighbours=self.neighbours,
            similarities=self.similarities,
        )

    @classmethod
    def load(cls, directory: Path) -> Self:
        meta = load_meta(directory)
        model = cls(k_neighbours=int(meta["k_neighbours"]))
        model.neighbours = load_array(directory, "neighbours", mmap=True)
        model.similarities = load_array(directory, "similarities", mmap=True)
        return model


# --- EASE -----------------------------------------------------------------------------------------


class EASERecommender(Recommender):
    """EASE (Steck, "Embarrassingly Shallow Autoencoders", 2019): ``B = I - P / diag(P)``,
    ``P = (X^T X + Lambda)^-1``, with a zero diagonal.

    ``Lambda = l2 I`` is EASE. With ``dropout`` ``p > 0`` it is the emphasised-denoising
    regulariser of EDLAE (Steck, "Autoencoders that don't overfit towards the Identity", NeurIPS
    2020, eq. 7, zero-diagonal form): ``Lambda = l2 I + p / (1 - p) diagMat(diag(X^T X))``, the
    closed form of training the same linear model on inputs with each entry dropped with
    probability ``p``. Popular items get more weight decay than rare ones.

    Only items with at least ``min_item_users`` users enter the model, at most ``max_items`` (the
    most supported): ``B`` costs ``4 n^2`` bytes and its inverse ``n^3`` operations, so the kept
    set, not the catalogue or the users, sets EASE's memory (10,000 items: 400 MB a copy). The
    rare tail contributes little and scores ``-inf``; the real data (7,390 items) fit the cap.
    """

    name = "ease"

    def __init__(
        self, l2: float = 200.0, min_item_users: int = 10, max_items: int = 10_000, dropout: float = 0.0
    ) -> None:
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.l2 = l2
        self.dropout = dropout
        self.min_item_users = min_item_users
        self.max_items = max_items
        self.n_items_total = 0
        self.kept: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.position: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)  # item -> row in B, or -1
        self.weights: FloatArray = np.zeros((0, 0), dtype=np.float32)

    def fit(self, train: TrainData) -> Self:
        return self.fit_matrix(train.matrix)

    def fit_matrix(self, matrix: sp.csr_matrix) -> Self:
        """Fit on a users x items matrix (any positive entry counts as 1)."""
        x = binary(matrix)
        kept = self.supported_items(x)
        return self.fit_kept(gram_matrix(x, kept), kept, matrix.shape[1])

    def supported_items(self, x: sp.csr_matrix) -> npt.NDArray[np.int32]:
        """The items that enter the model (:func:`~recsys.pipeline.arrays.supported_columns`)."""
        return supported_columns(x, min_rows=self.min_item_users, max_columns=self.max_items)

    def fit_kept(self, gram: FloatArray, kept: npt.NDArray[np.int32], n_items: int) -> Self:
        """Fit from the kept items' dense Gram matrix (left unchanged: an L2 search reuses it)."""
        self.n_items_total = n_items
        self.kept = np.asarray(kept, dtype=np.int32)
        self.position = np.full(n_items, -1, dtype=np.int32)
        self.position[self.kept] = np.arange(self.kept.size, dtype=np.int32)
        if self.kept.size == 0:
            self.weights = np.zeros((0, 0), dtype=np.float32)
            return self
        g = np.array(gram, dtype=np.float32)
        diagonal = np.diag_indices_from(g)
        g[diagonal] += np.float32(self.l2) + np.float32(self.dropout / (1.0 - self.dropout)) * g[diagonal]
        p = spd_inverse(g)
        p /= (-np.diag(p))[None, :]
        p[np.diag_indices_from(p)] = 0.0
        self.weights = np.ascontiguousarray(p, dtype=np.float32)
        return self

    def score(self, user_items: sp.csr_matrix) -> FloatArray:
        x = binary(user_items)
        out = np.full((x.shape[0], self.n_items_total), -np.inf, dtype=np.float32)
        if self.kept.size:
            out[:, self.kept] = np.asarray(x[:, self.kept] @ self.weights, dtype=np.float32)
        return out

    def score_user(self, items: npt.NDArray[np.int64]) -> FloatArray:
        """Scores of every item for one user owning ``items`` (-inf outside the model)."""
        out = np.full(self.n_items_total, -np.inf, dtype=np.float32)
        if self.kept.size == 0:
            return out
        rows = self.position[items]
        rows = rows[rows >= 0]
        out[self.kept] = self.weights[rows].sum(axis=0) if rows.size else 0.0
        return out

    def similar_items(self, item: int, k: int) -> tuple[IntArray, FloatArray]:
        row = np.full(self.n_items_total, -np.inf, dtype=np.float32)
        pos = int(self.position[item]) if self.position.size else -1
        if pos >= 0:
            row[self.kept] = self.weights[pos]
        return _similar_from_dense(row, item, k)

    def save(self, directory: Path) -> None:
        save_arrays(
            directory,
            {
                "model": self.name,
                "l2": self.l2,
                "dropout": self.dropout,
                "min_item_users": self.min_item_users,
                "max_items": self.max_items,
                "n_items": self.n_items_total,
            },
            kept=self.kept,
            weights=self.weights,
        )

    @classmethod
    def load(cls, directory: Path) -> Self:
        meta = load_meta(directory)
        model = cls(
            l2=float(meta["l2"]),
            min_item_users=int(meta["min_item_users"]),
            max_items=int(meta.get("max_items", 10_000)),
            dropout=float(meta.get("dropout", 0.0)),
        )
        model.n_items_total = int(meta["n_items"])
        model.kept = np.asarray(load_array(directory, "kept"), dtype=np.int32)
        model.position = np.full(model.n_items_total, -1, dtype=np.int32)
        model.position[model.kept] = np.arange(model.kept.size, dtype=np.int32)
        model.weights = load_array(directory, "weights", mmap=True)
        return model
