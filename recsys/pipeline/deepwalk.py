"""DeepWalk: item vectors from weighted random walks over the behaviour graph (gensim skip-gram),
searched with Annoy; one of the recommenders of :mod:`recsys.pipeline.recommenders`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.pipeline.ann import (
    AnnoyConfig,
    annoy_recall_table,
    build_annoy,
    choose_annoy_config,
    load_annoy,
    save_annoy,
)
from recsys.pipeline.arrays import load_array, load_meta, save_arrays
from recsys.pipeline.embeddings import (
    Word2VecParams,
    normalize_rows,
    train_item_vectors,
    weighted_user_vector,
)
from recsys.pipeline.recommenders import Recommender, TrainData, binary
from recsys.pipeline.walks import random_walks, sequence_edges

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


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

    def fit(self, train: TrainData, *, warm_start: DeepWalkRecommender | None = None) -> Self:
        """Walk the graph (``train.graph``, else the one of ``train.positions``) and train the
        item vectors; ``warm_start``, a model over the same items and dimensions (the pipeline's
        DeepWalk of fewer rows), gives the starting vectors and the shorter schedule of
        :class:`~recsys.pipeline.embeddings.Word2VecParams` (``warm_epochs``, ``warm_alpha``)."""
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
        init = None
        if (
            warm_start is not None
            and warm_start.n_items == train.n_items
            and warm_start.dim == self.params.word2vec.dim
        ):
            init = (warm_start.vectors, warm_start.context, warm_start.has_vector)
        vectors, has_vector, context = train_item_vectors(
            walks, train.n_items, params=self.params.word2vec, seed=self.seed, init=init
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
            "warm_start": float(init is not None),
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

    def tune_annoy(
        self, user_items: sp.csr_matrix, *, k: int = 50, min_recall: float = 0.95, queries: int = 250
    ) -> dict[str, Any]:
        """Choose and install the cheapest Annoy configuration whose recall@``k`` against exact
        cosine search reaches ``min_recall`` (:func:`recsys.pipeline.ann.annoy_recall_table`), on
        ``queries`` random indexed items and as many users of ``user_items`` (their vectors).

        Returns
        -------
        dict
            ``k``, ``queries``, ``min_recall``, ``table`` (one row per configuration: ``n_trees``,
            ``search_k``, ``recall``, ``ms_per_query``) and ``chosen`` (the installed config).
        """
        rng = np.random.default_rng(self.seed)
        items = np.flatnonzero(self.indexed)
        item_q = self.unit[rng.choice(items, size=min(queries, items.size), replace=False)]
        user_vecs, ok = self.user_vectors(user_items)
        users = np.flatnonzero(ok)
        user_q = user_vecs[rng.choice(users, size=min(queries, users.size), replace=False)]
        asked = np.concatenate([item_q, user_q]).astype(np.float32)
        table = annoy_recall_table(self.vectors, self.indexed, asked, k=k, seed=self.seed)
        config = choose_annoy_config(table, k=k, min_recall=min_recall)
        self.set_annoy_config(config)
        return {
            "k": k,
            "queries": int(asked.shape[0]),
            "min_recall": min_recall,
            "table": table,
            "chosen": asdict(config),
        }

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
