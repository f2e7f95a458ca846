"""Content features of anime (genres, tags, franchise, synopsis terms) and taste scores from them.

Pure numpy / scipy: serving builds the model from the catalogue (:mod:`recsys.serving.content`),
the held-out-items evaluation from the same rows (:mod:`recsys.pipeline.content_eval`).

Each anime is a row of blocks; each block is L2-normalised and scaled by ``sqrt(weight)``, so the
dot product of two rows is ``sum_b weight_b x cosine_b``: a weighted sum of per-block cosines (a
missing block, e.g. no synopsis, contributes 0).

* genres, tags: binary indicators weighted by IDF ``log((1 + n) / (1 + df)) + 1`` (the smoothed
  IDF of scikit-learn's ``TfidfTransformer``), so "Comedy" counts less than "Mecha";
* franchise: one indicator per grouping key (:func:`recsys.pipeline.data.item_franchise_key`) for
  keys shared by at least two anime: a new season is close to the seasons before it;
* synopsis: TF-IDF with sublinear TF ``1 + log(tf)`` over English words (3+ letters) and Chinese
  character bigrams (the Chinese synopses have no word breaks), terms in at least
  ``MIN_DF`` synopses and at most ``MAX_DF_SHARE`` of them, each synopsis keeping its
  ``TERMS_PER_SYNOPSIS`` heaviest terms (bounds memory: about 19,800 x 48 non-zeros).

The catalogue has no studio field (the source files carry none), so studios are not a block.

A user's score for a candidate ``c`` with liked anime ``L`` (weights ``w_l`` from
:mod:`recsys.preferences`) and similarities ``s_cl = x_c . x_l``::

    score(c) = (1 - gamma) x sum_l w_l s_cl / sum_l w_l  +  gamma x max_l s_cl

and the anime cited as the reason is ``argmax_l s_cl``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

MIN_DF = 2
MAX_DF_SHARE = 0.3
TERMS_PER_SYNOPSIS = 48

_WORD = re.compile(r"[a-z]{3,}")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

BLOCKS = ("genres", "tags", "franchise", "synopsis")


@dataclass(frozen=True)
class ContentWeights:
    """Block weights (>= 0) and ``gamma``, the share of the best single match in a user's score."""

    genres: float = 1.0
    tags: float = 1.0
    franchise: float = 1.0
    synopsis: float = 1.0
    gamma: float = 0.5

    def block(self, name: str) -> float:
        return float(getattr(self, name))


@dataclass(frozen=True)
class ContentDoc:
    """One anime's content: genre and tag names, grouping key ("" for none), synopsis text."""

    anime_id: int
    genres: Sequence[str] = ()
    tags: Sequence[str] = ()
    franchise: str = ""
    synopsis: str = ""


def synopsis_terms(text: str) -> list[str]:
    """English words of 3+ letters (lower case) and Chinese character bigrams of ``text``."""
    terms = _WORD.findall(text.lower())
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            terms.append(run)
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return terms


def _idf(df: npt.NDArray[np.float64], n_docs: int) -> npt.NDArray[np.float64]:
    result: npt.NDArray[np.float64] = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    return result


def _normalise_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1), dtype=np.float64).ravel())
    inv = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0)
    out: sp.csr_matrix = sp.csr_matrix(sp.diags(inv) @ m, dtype=np.float32)
    return out


def _indicator_block(values: Sequence[Sequence[str]], *, min_df: int = 1) -> sp.csr_matrix:
    """IDF-weighted indicators, rows L2-normalised; features shared by fewer than ``min_df`` rows
    are dropped."""
    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for r, names in enumerate(values):
        for name in set(names):
            if name:
                rows.append(r)
                cols.append(vocab.setdefault(name, len(vocab)))
    n = len(values)
    m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, max(len(vocab), 1)), dtype=np.float64)
    df = np.asarray((m > 0).sum(axis=0), dtype=np.float64).ravel()
    keep = df >= min_df
    m = sp.csr_matrix(m[:, np.flatnonzero(keep)])
    m = sp.csr_matrix(m @ sp.diags(_idf(df[keep], n)))
    return _normalise_rows(m)


def _synopsis_block(texts: Sequence[str]) -> sp.csr_matrix:
    """Sublinear TF-IDF of :func:`synopsis_terms`, pruned per row, rows L2-normalised."""
    counts: list[dict[str, int]] = []
    df: dict[str, int] = {}
    for text in texts:
        tf: dict[str, int] = {}
        for term in synopsis_terms(text):
            tf[term] = tf.get(term, 0) + 1
        counts.append(tf)
        for term in tf:
            df[term] = df.get(term, 0) + 1
    n_docs = sum(1 for tf in counts if tf)
    max_df = max(MIN_DF, int(MAX_DF_SHARE * n_docs))
    vocab = {t: i for i, t in enumerate(sorted(t for t, d in df.items() if MIN_DF <= d <= max_df))}
    idf = _idf(np.array([df[t] for t in vocab], dtype=np.float64), n_docs) if vocab else np.zeros(0)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, tf in enumerate(counts):
        weighted = [
            (vocab[t], (1.0 + math.log(c)) * float(idf[vocab[t]])) for t, c in tf.items() if t in vocab
        ]
        weighted.sort(key=lambda x: -x[1])
        for col, val in weighted[:TERMS_PER_SYNOPSIS]:
            rows.append(r)
            cols.append(col)
            vals.append(val)
    m = sp.csr_matrix((vals, (rows, cols)), shape=(len(texts), max(len(vocab), 1)), dtype=np.float64)
    return _normalise_rows(m)


@dataclass
class ContentModel:
    """Per-block feature matrices of a set of anime (rows aligned with ``anime_ids``).

    ``blocks``: block name -> CSR ``(n_anime, n_features)`` float32 with unit (or zero) rows.
    :meth:`matrix` combines them for given weights.
    """

    anime_ids: npt.NDArray[np.int64]
    blocks: Mapping[str, sp.csr_matrix]
    _row: dict[int, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._row = {int(a): i for i, a in enumerate(self.anime_ids.tolist())}

    def rows(self, anime_ids: Sequence[int]) -> npt.NDArray[np.int64]:
        """Row indices of the known ``anime_ids`` (unknown ids left out, order kept)."""
        return np.array([self._row[a] for a in anime_ids if a in self._row], dtype=np.int64)

    def row_of(self, anime_id: int) -> int | None:
        return self._row.get(anime_id)

    def matrix(self, weights: ContentWeights) -> sp.csr_matrix:
        """The blocks side by side, each scaled by ``sqrt(weight)``: row dot products are
        ``sum_b weight_b x cosine_b``. CSR ``(n_anime, total features)`` float32."""
        parts = [
            self.blocks[name] * np.float32(math.sqrt(weights.block(name)))
            for name in BLOCKS
            if weights.block(name) > 0
        ]
        if not parts:
            return sp.csr_matrix((len(self.anime_ids), 1), dtype=np.float32)
        out: sp.csr_matrix = sp.csr_matrix(sp.hstack(parts, format="csr"), dtype=np.float32)
        return out


def content_model_build(docs: Sequence[ContentDoc], *, skip: Collection[str] = ()) -> ContentModel:
    """Feature blocks for ``docs`` (see the module docstring); the blocks named in ``skip`` are
    left empty (no features: weight them 0), which saves their build time and memory."""
    franchise_sizes: dict[str, int] = {}
    for d in docs:
        if d.franchise:
            franchise_sizes[d.franchise] = franchise_sizes.get(d.franchise, 0) + 1
    builders: dict[str, Callable[[], sp.csr_matrix]] = {
        "genres": lambda: _indicator_block([list(d.genres) for d in docs]),
        "tags": lambda: _indicator_block([list(d.tags) for d in docs], min_df=2),
        "franchise": lambda: _indicator_block(
            [[d.franchise] if franchise_sizes.get(d.franchise, 0) > 1 else [] for d in docs]
        ),
        "synopsis": lambda: _synopsis_block([d.synopsis for d in docs]),
    }
    empty = sp.csr_matrix((len(docs), 1), dtype=np.float32)
    return ContentModel(
        anime_ids=np.array([d.anime_id for d in docs], dtype=np.int64),
        blocks={name: empty if name in skip else build() for name, build in builders.items()},
    )


def similarities(
    matrix: sp.csr_matrix, candidates: npt.ArrayLike, seeds: npt.ArrayLike
) -> npt.NDArray[np.float32]:
    """Dense ``(len(candidates), len(seeds))`` dot products of the rows of ``matrix``."""
    c = np.asarray(candidates, dtype=np.int64)
    s = np.asarray(seeds, dtype=np.int64)
    if c.size == 0 or s.size == 0:
        return np.zeros((c.size, s.size), dtype=np.float32)
    product = matrix[c] @ matrix[s].T
    return np.asarray(product.toarray(), dtype=np.float32)


def taste_scores(
    sims: npt.NDArray[np.float32], seed_weights: npt.ArrayLike, gamma: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Scores of the candidates (rows of ``sims``) for a user whose liked anime are the columns.

    Returns ``(scores, best)``: ``(1 - gamma) x weighted mean + gamma x max`` of each row, and the
    column of each row's largest similarity (the anime to cite). Empty columns: zeros, -1.
    """
    n = sims.shape[0]
    if sims.shape[1] == 0:
        return np.zeros(n, dtype=np.float32), np.full(n, -1, dtype=np.int64)
    w = np.asarray(seed_weights, dtype=np.float32)
    mean = sims @ w / max(float(w.sum()), 1e-12)
    best = np.argmax(sims, axis=1).astype(np.int64)
    top = sims[np.arange(n), best]
    scores = ((1.0 - gamma) * mean + gamma * top).astype(np.float32)
    return scores, best
