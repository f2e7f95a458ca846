"""Item vectors from random walks (gensim Word2Vec, skip-gram) and user vectors from item vectors."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Word2VecParams:
    """Skip-gram parameters; ``workers=2`` matches the two cores of the reference machine.

    gensim is seeded, but with more than one worker thread the order in which threads consume
    the walks varies, so vectors are reproducible only up to that scheduling noise (the walks
    themselves are exactly reproducible). ``workers=1`` gives bit-identical vectors.
    """

    dim: int = 32
    # 2 was best on the fit -> holdout split (1: 0.193, 2: 0.196, 3: 0.196, 5: 0.186, 10: 0.170
    # Recall@20 with 5 walks per node): the walks already reach further than the window.
    window: int = 2
    negative: int = 5
    epochs: int = 4
    min_count: int = 1
    workers: int = 2
    # Exponent of the negative-sampling distribution (unigram ** ns_exponent) and the threshold
    # for down-sampling frequent items (0: off); gensim's defaults.
    ns_exponent: float = 0.75
    sample: float = 0.0
    # A model started from an earlier one's vectors (``train_item_vectors(init=...)``: the pipeline's
    # second DeepWalk, on more rows) trains this many epochs from this learning rate. Validation
    # (vectors of 80 % of the fit rows -> the fit rows -> holdout, Recall@20 / NDCG@20): cold
    # 4 epochs 0.2287 / 0.2129; warm, epochs (rate): 1 (0.01) 0.2258 / 0.2113, 2 (0.005) 0.2325 /
    # 0.2154, 2 (0.01) 0.2305 / 0.2139, 2 (0.025) 0.2295 / 0.2127, 3 (0.01) 0.2354 / 0.2177. Two
    # epochs match a cold start at half its cost; the rates differ by run-to-run noise (two
    # gensim threads, about 0.003).
    warm_epochs: int = 2
    warm_alpha: float = 0.01


def train_item_vectors(
    walks: npt.NDArray[np.int32],
    n_items: int,
    *,
    params: Word2VecParams,
    seed: int,
    init: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.bool_]] | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
    """Train skip-gram Word2Vec on walks and return one vector per item.

    Parameters
    ----------
    walks : numpy.ndarray
        int32 ``(n_walks, length)`` item indices, padded with -1
        (:func:`recsys.pipeline.walks.random_walks`).
    n_items : int
        Number of items; items that appear in no walk get a zero vector.
    params : Word2VecParams
        Model parameters.
    seed : int
        gensim seed.
    init : tuple, optional
        ``(vectors, context, has_vector)`` of an earlier model over the same item indices (this
        function's output): items it knows start from its vectors, and training runs
        ``params.warm_epochs`` epochs from ``params.warm_alpha`` instead of ``params.epochs``.

    Returns
    -------
    vectors : numpy.ndarray
        float32 ``(n_items, dim)``.
    has_vector : numpy.ndarray
        bool ``(n_items,)``: the item appeared in the walks.
    context : numpy.ndarray
        float32 ``(n_items, dim)``: the output ("context") vectors of negative sampling;
        ``vectors[a] @ context[b]`` is the model's log-odds that b appears near a in a walk.
    """
    vectors = np.zeros((n_items, params.dim), dtype=np.float32)
    context = np.zeros((n_items, params.dim), dtype=np.float32)
    has_vector = np.zeros(n_items, dtype=bool)
    sentences = [[str(x) for x in row[row >= 0].tolist()] for row in walks]
    sentences = [s for s in sentences if len(s) > 1]
    if not sentences:
        return vectors, has_vector, context
    gensim_log = logging.getLogger("gensim")
    level = gensim_log.level
    gensim_log.setLevel(max(level, logging.WARNING))  # per-epoch INFO lines drown the progress output
    try:
        model = _word2vec(sentences, params, seed, init)
    finally:
        gensim_log.setLevel(level)
    keys = np.array([int(k) for k in model.wv.index_to_key], dtype=np.int64)
    vectors[keys] = model.wv.vectors.astype(np.float32)
    context[keys] = np.asarray(model.syn1neg, dtype=np.float32)
    has_vector[keys] = True
    return vectors, has_vector, context


def _skipgram(params: Word2VecParams, seed: int) -> Any:
    """An untrained gensim skip-gram model with negative sampling, configured by ``params``."""
    from gensim.models import Word2Vec

    return Word2Vec(
        vector_size=params.dim,
        window=params.window,
        sg=1,
        negative=params.negative,
        ns_exponent=params.ns_exponent,
        sample=params.sample,
        min_count=params.min_count,
        workers=params.workers,
        epochs=params.epochs,
        seed=seed,
    )


def _word2vec(
    sentences: list[list[str]],
    params: Word2VecParams,
    seed: int,
    init: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.bool_]] | None = None,
) -> Any:
    """Skip-gram trained on ``sentences``: ``params.epochs`` from scratch, or, with ``init``, from
    its vectors for the items it knows, ``params.warm_epochs`` from ``params.warm_alpha``."""
    model = _skipgram(params, seed)
    model.build_vocab(sentences)
    if init is None:
        model.train(sentences, total_examples=len(sentences), epochs=params.epochs)
        return model
    vectors, context, known = init
    keys = np.array([int(k) for k in model.wv.index_to_key], dtype=np.int64)
    rows = np.flatnonzero(keys < known.size)
    rows = rows[known[keys[rows]]]
    model.wv.vectors[rows] = vectors[keys[rows]]
    model.syn1neg[rows] = context[keys[rows]]
    model.train(
        sentences,
        total_examples=len(sentences),
        epochs=params.warm_epochs,
        start_alpha=params.warm_alpha,
        end_alpha=min(0.0001, params.warm_alpha),
    )
    return model


def normalize_rows(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def weighted_user_vector(
    unit_vectors: npt.NDArray[np.float32],
    has_vector: npt.NDArray[np.bool_],
    items: npt.ArrayLike,
    weights: npt.ArrayLike,
) -> npt.NDArray[np.float32] | None:
    """The user vector: weighted mean of the unit vectors of the user's items, scaled to unit length.

    The weights are :func:`recsys.pipeline.data.interaction_weights` (score, favourite and
    recency). Items without a vector are skipped.

    Parameters
    ----------
    unit_vectors : numpy.ndarray
        Row-normalised item vectors.
    has_vector : numpy.ndarray
        Which items have a vector.
    items : array_like of int
        The user's item indices.
    weights : array_like of float
        One weight per item.

    Returns
    -------
    numpy.ndarray or None
        Unit-length float32 vector, or None when no item has a vector.
    """
    idx = np.asarray(items, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float32)
    keep = has_vector[idx] & (w > 0)
    if not keep.any():
        return None
    mean = (w[keep, None] * unit_vectors[idx[keep]]).sum(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm <= 1e-12:
        return None
    return np.asarray(mean / norm, dtype=np.float32)
