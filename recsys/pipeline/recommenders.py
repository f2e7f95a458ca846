"""One small interface for every recommender, and the baselines that implement it.

The interface follows implicit's ``RecommenderBase``: ``fit`` on a users x items matrix,
``recommend`` for a batch of users given their items (already-known items never come back),
``similar_items``, ``save`` / ``load`` to a folder (numpy without pickle, Annoy files, JSON).

Baselines: :class:`PopularityRecommender`, :class:`ItemKNNRecommender` (cosine, top-k neighbours),
:class:`EASERecommender` (Steck 2019, closed form) and :class:`DeepWalkRecommender` (user vector
against item vectors learned from random walks). The full pipeline
(:class:`recsys.pipeline.ranking.PipelineRecommender`) implements the same interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.pipeline.ann import AnnoyConfig, build_annoy, load_annoy, save_annoy
from recsys.pipeline.arrays import (
    gram_matrix,
    load_array,
    load_meta,
    save_arrays,
    spd_inverse,
    supported_columns,
)
from recsys.pipeline.data import ItemTable
from recsys.pipeline.embeddings import (
    Word2VecParams,
    normalize_rows,
    train_item_vectors,
    weighted_user_vector,
)
from recsys.pipeline.walks import EdgeList, random_walks, sequence_edges

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
    ``P = (X^T X + lambda I)^-1``, with a zero diagonal.

    Only items with at least ``min_item_users`` users enter the model, at most ``max_items`` (the
    most supported): ``B`` costs ``4 n^2`` bytes and its inverse ``n^3`` operations, so the kept
    set, not the catalogue or the users, sets EASE's memory (10,000 items: 400 MB a copy). The
    rare tail contributes little and scores ``-inf``; the real data (7,390 items) fit the cap.
    """

    name = "ease"

    def __init__(self, l2: float = 200.0, min_item_users: int = 10, max_items: int = 10_000) -> None:
        self.l2 = l2
        self.min_item_users = min_item_users
        self.max_items = max_items
        self.n_items_total = 0
        self.kept: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.position: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)  # item -> row in B, or -1
        self.weights: FloatArray = np.zeros((0, 0), dtype=np.float32)

    def fit(self, train: TrainData) -> Self:
        x = binary(train.matrix)
        kept = self.supported_items(x)
        return self.fit_kept(gram_matrix(x, kept), kept, train.n_items)

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
        g[np.diag_indices_from(g)] += np.float32(self.l2)
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
        )
        model.n_items_total = int(meta["n_items"])
        model.kept = np.asarray(load_array(directory, "kept"), dtype=np.int32)
        model.position = np.full(model.n_items_total, -1, dtype=np.int32)
        model.position[model.kept] = np.arange(model.kept.size, dtype=np.int32)
        model.weights = load_array(directory, "weights", mmap=True)
        return model


# --- DeepWalk -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeepWalkParams:
    """Walk and embedding parameters of :class:`DeepWalkRecommender`."""

    # Chosen on the fit -> holdout split of the anime data (README: DeepWalk tuning).
    walks_per_node: int = 20
    walk_length: int = 20
    word2vec: Word2VecParams = field(default_factory=Word2VecParams)
    min_item_users: int = 5
    annoy: AnnoyConfig = field(default_factory=lambda: AnnoyConfig(n_trees=25, search_k=-1))
    # Weight of log(walk count) in :meth:`DeepWalkRecommender.score` (the skip-gram optimum puts
    # the negative-sampling exponent there, see the method). Measured on fit -> holdout
    # (README: DeepWalk tuning): the context vectors already carry enough frequency.
    prior_weight: float = 0.0


class DeepWalkRecommender(Recommender):
    """Item vectors from weighted random walks over the behaviour graph (DeepWalk / gensim).

    A user is the weighted mean of their items' unit vectors
    (:func:`recsys.pipeline.embeddings.weighted_user_vector`); recommendations are the items with the
    highest cosine to it. Only items with at least ``min_item_users`` users are recommended or
    indexed in Annoy: a vector learned from a handful of walks is noise. ``score`` ranks exactly
    (full ranking for evaluation); serving asks the Annoy index (:meth:`annoy_neighbours`).
    """

    name = "deepwalk"

    def __init__(self, params: DeepWalkParams | None = None, seed: int = 42) -> None:
        self.params = params or DeepWalkParams()
        self.seed = seed
        self.vectors: FloatArray = np.zeros((0, self.params.word2vec.dim), dtype=np.float32)
        self.context: FloatArray = self.vectors
        # log of each item's token count in the walks (0 where it has none); see :meth:`score`.
        self.log_count: FloatArray = np.zeros(0, dtype=np.float32)
        self.unit: FloatArray = self.vectors
        self.has_vector: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.indexed: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.annoy_config = self.params.annoy
        self._index: Any = None
        self.stats: dict[str, float] = {}

    @property
    def n_items(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def fit(self, train: TrainData) -> Self:
        import time

        start = time.perf_counter()
        if train.graph is not None:
            graph = train.graph
        elif train.positions is not None:
            graph = sequence_edges(train.positions)
        else:
            raise ValueError("DeepWalk needs behaviour sequences (positions) or a prebuilt graph")
        walks = random_walks(
            graph,
            walks_per_node=self.params.walks_per_node,
            walk_length=self.params.walk_length,
            seed=self.seed,
        )
        walked = time.perf_counter()
        vectors, has_vector, context = train_item_vectors(
            walks, train.n_items, params=self.params.word2vec, seed=self.seed
        )
        self.context = context
        counts = np.bincount(walks[walks >= 0].ravel(), minlength=train.n_items)[: train.n_items]
        self.log_count = np.log(np.maximum(counts, 1)).astype(np.float32)
        trained = time.perf_counter()
        users = np.asarray(binary(train.matrix).sum(axis=0)).ravel()
        self.set_vectors(vectors, has_vector, has_vector & (users >= self.params.min_item_users))
        self.stats = {
            "edges": float(len(graph)),
            "walks": float(walks.shape[0]),
            "walk_tokens": float((walks >= 0).sum()),
            "walks_s": walked - start,
            "word2vec_s": trained - walked,
            "annoy_s": time.perf_counter() - trained,
        }
        return self

    def set_vectors(
        self,
        vectors: FloatArray,
        has_vector: npt.NDArray[np.bool_],
        indexed: npt.NDArray[np.bool_],
        annoy_config: AnnoyConfig | None = None,
    ) -> None:
        """Install item vectors and (re)build the Annoy index over ``indexed`` items."""
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.unit = normalize_rows(self.vectors)
        self.has_vector = np.asarray(has_vector, dtype=bool)
        self.indexed = np.asarray(indexed, dtype=bool)
        if annoy_config is not None:
            self.annoy_config = annoy_config
        self._index = (
            build_annoy(self.vectors, self.indexed, n_trees=self.annoy_config.n_trees, seed=self.seed)
            if self.indexed.any()
            else None
        )

    def set_annoy_config(self, config: AnnoyConfig) -> None:
        """Rebuild the index with other parameters (after measuring them)."""
        self.set_vectors(self.vectors, self.has_vector, self.indexed, config)

    def user_vectors(self, user_items: sp.csr_matrix) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Unit user vectors for a batch (weights from the matrix) and which rows have one."""
        x = user_items.tocsr().astype(np.float32)
        x = x.multiply(self.has_vector[None, :].astype(np.float32)).tocsr()
        mean = np.asarray(x @ self.unit, dtype=np.float32)
        norms = np.linalg.norm(mean, axis=1)
        ok = norms > 1e-12
        mean[ok] /= norms[ok, None]
        return mean, ok

    def user_vector(self, items: npt.NDArray[np.int64], weights: FloatArray) -> FloatArray | None:
        """One user's unit vector (serving path)."""
        return weighted_user_vector(self.unit, self.has_vector, items, weights)

    def score(self, user_items: sp.csr_matrix) -> FloatArray:
        """Skip-gram's own prediction of the items seen near the user's items.

        For each item i: the weighted mean over the user's items h of ``vectors[h] @ context[i]``,
        plus ``prior_weight * log(count_i)`` (``count_i``: i's tokens in the walks). At the optimum
        of skip-gram with negative sampling, ``vectors[h] @ context[i] = PMI(h, i) - log k`` with
        the unigram distribution raised to the negative-sampling exponent alpha in the PMI's
        denominator (Levy & Goldberg, "Neural Word Embedding as Implicit Matrix Factorization",
        NIPS 2014), so ``log P(i | h) = vectors[h] @ context[i] + alpha * log(count_i) + const``:
        the dot product alone ranks by association and favours rare items.

        Returns
        -------
        numpy.ndarray
            float32 ``(n_users, n_items)``; ``-inf`` for items not indexed and users without a
            vector.
        """
        x = user_items.tocsr().astype(np.float32)
        x = x.multiply(self.has_vector[None, :].astype(np.float32)).tocsr()
        totals = np.asarray(x.sum(axis=1)).ravel()
        ok = totals > 1e-12
        scores = np.asarray(x @ self.vectors, dtype=np.float32) @ self.context.T
        scores[ok] /= totals[ok, None]
        if self.log_count.size == scores.shape[1] and self.params.prior_weight:
            scores += self.params.prior_weight * self.log_count[None, :]
        scores[:, ~self.indexed] = -np.inf
        scores[~ok] = -np.inf
        return np.asarray(scores, dtype=np.float32)

    def score_user(self, items: npt.NDArray[np.int64], weights: FloatArray) -> FloatArray:
        """:meth:`score` for one user's items and weights (every item; -inf where not indexed)."""
        idx = np.asarray(items, dtype=np.int64)
        w = np.asarray(weights, dtype=np.float32)
        keep = self.has_vector[idx] & (w > 0)
        out = np.full(self.n_items, -np.inf, dtype=np.float32)
        if not keep.any():
            return out
        mean = (w[keep, None] * self.vectors[idx[keep]]).sum(axis=0) / float(w[keep].sum())
        scores = self.context @ mean
        if self.log_count.size == scores.shape[0] and self.params.prior_weight:
            scores = scores + self.params.prior_weight * self.log_count
        out[self.indexed] = scores[self.indexed]
        return out

    def annoy_neighbours(self, vector: FloatArray, n: int) -> list[int]:
        """Approximate nearest indexed items of a vector (Annoy, the chosen ``search_k``)."""
        if self._index is None or n <= 0:
            return []
        found: list[int] = self._index.get_nns_by_vector(
            vector.tolist(), n, search_k=self.annoy_config.search_k
        )
        return found

    def similar_items(self, item: int, k: int) -> tuple[IntArray, FloatArray]:
        if not self.has_vector[item] or self._index is None:
            return np.full(k, -1, dtype=np.int64), np.full(k, -np.inf, dtype=np.float32)
        found = [i for i in self.annoy_neighbours(self.unit[item], k + 1) if i != item][:k]
        ids = np.full(k, -1, dtype=np.int64)
        vals = np.full(k, -np.inf, dtype=np.float32)
        ids[: len(found)] = found
        vals[: len(found)] = self.unit[found] @ self.unit[item]
        return ids, vals

    def save(self, directory: Path) -> None:
        save_arrays(
            directory,
            {
                "model": self.name,
                "seed": self.seed,
                "dim": self.dim,
                "n_trees": self.annoy_config.n_trees,
                "search_k": self.annoy_config.search_k,
                "min_item_users": self.params.min_item_users,
                "prior_weight": self.params.prior_weight,
            },
            vectors=self.vectors,
            has_vector=self.has_vector,
            indexed=self.indexed,
            context=self.context,
            log_count=self.log_count,
        )
        if self._index is not None:
            save_annoy(self._index, directory / "items.ann")

    @classmethod
    def load(cls, directory: Path) -> Self:
        meta = load_meta(directory)
        config = AnnoyConfig(n_trees=int(meta["n_trees"]), search_k=int(meta["search_k"]))
        params = DeepWalkParams(
            annoy=config,
            min_item_users=int(meta["min_item_users"]),
            # Versions saved before the prior scored by the dot product alone.
            prior_weight=float(meta.get("prior_weight", 0.0)),
        )
        model = cls(params, seed=int(meta["seed"]))
        model.vectors = np.asarray(load_array(directory, "vectors"), dtype=np.float32)
        model.unit = normalize_rows(model.vectors)
        model.has_vector = np.asarray(load_array(directory, "has_vector"), dtype=bool)
        model.indexed = np.asarray(load_array(directory, "indexed"), dtype=bool)
        if (directory / "context.npy").exists():
            model.context = np.asarray(load_array(directory, "context"), dtype=np.float32)
        else:
            model.context = np.zeros_like(model.vectors)
        if (directory / "log_count.npy").exists():
            model.log_count = np.asarray(load_array(directory, "log_count"), dtype=np.float32)
        model.annoy_config = config
        path = directory / "items.ann"
        model._index = load_annoy(path, int(meta["dim"])) if path.exists() else None
        return model
