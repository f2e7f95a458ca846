"""The full pipeline: recall channels -> MLP ranker -> re-rank, as one recommender.

Fitting it honestly takes two rounds, because the ranker must learn from items its features did
not see: the channels are fitted on part of the training rows (``fit``), EASE's L2 weight is
chosen and the ranker learns to find the other part (``holdout``) among the candidates those
channels recall, and finally the channels are refitted on more rows while the ranker is kept.

There is one recipe, :meth:`PipelineRecommender.fit_split` (+ :meth:`PipelineRecommender.refit`):
:meth:`PipelineRecommender.fit` runs it on a random holdout of one matrix (what the contract tests
check), and :func:`recsys.pipeline.train.run_training` runs it on the evaluation split with each
step timed, then refits the channels on every row for the served model.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.pipeline.ann import AnnoyConfig
from recsys.pipeline.candidates import CHANNELS, FEATURE_NAMES, CandidateSet, Channels
from recsys.pipeline.data import PART_HOLDOUT, ItemTable, assign_parts
from recsys.pipeline.deepwalk import DeepWalkRecommender
from recsys.pipeline.ease_tuning import baseline_l2, tune_ease
from recsys.pipeline.params import PipelineParams, params_from_dict
from recsys.pipeline.ranker import (
    Ranker,
    TrainingHistory,
    history_dict,
    train_ranker,
    training_device,
)
from recsys.pipeline.ranker_data import ranker_groups
from recsys.pipeline.recommenders import (
    EASERecommender,
    ItemKNNRecommender,
    PopularityRecommender,
    Recommender,
    TrainData,
)
from recsys.pipeline.rerank import rerank
from recsys.pipeline.threads import single_threaded_blas

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[str], None]
Stage = Callable[[str], AbstractContextManager[None]]

# Closest ItemKNN neighbours of a disliked / "not interested" anime that are pushed down.
AVOID_NEIGHBOURS = 10


def _silent(message: str) -> None:
    return None


@contextmanager
def _untimed(name: str) -> Iterator[None]:
    yield


@dataclass
class ChannelTimings:
    """Seconds spent fitting each channel."""

    seconds: dict[str, float] = field(default_factory=dict)


def fit_channels(
    train: TrainData,
    *,
    params: PipelineParams,
    seed: int,
    ease: EASERecommender | None = None,
    deepwalk: DeepWalkRecommender | None = None,
    annoy: AnnoyConfig | None = None,
    timings: ChannelTimings | None = None,
    deepwalk_start: DeepWalkRecommender | None = None,
) -> Channels:
    """Fit popularity, ItemKNN, EASE and DeepWalk on ``train`` and bundle them as channels.

    Parameters
    ----------
    train : TrainData
        The rows to learn from (with ``positions`` or ``graph`` for DeepWalk).
    params : PipelineParams
        Channel parameters.
    seed : int
        Seed of the walks, Word2Vec and Annoy.
    ease : EASERecommender, optional
        An EASE model already fitted on the same rows (reused instead of refitting).
    deepwalk : DeepWalkRecommender, optional
        A DeepWalk model already fitted on the same rows.
    annoy : AnnoyConfig, optional
        Annoy parameters chosen by measurement.
    timings : ChannelTimings, optional
        Receives the seconds spent per channel.
    deepwalk_start : DeepWalkRecommender, optional
        A DeepWalk model of part of the rows to start the new one from (fewer epochs).

    Returns
    -------
    Channels
    """
    import time

    t = timings if timings is not None else ChannelTimings()
    start = time.perf_counter()
    popularity = PopularityRecommender().fit(train)
    t.seconds["popularity"] = time.perf_counter() - start
    start = time.perf_counter()
    itemknn = ItemKNNRecommender(k_neighbours=params.knn_neighbours).fit(train)
    t.seconds["itemknn"] = time.perf_counter() - start
    start = time.perf_counter()
    if ease is None:
        ease = EASERecommender(
            l2=params.ease_l2, min_item_users=params.ease_min_item_users, dropout=params.ease_dropout
        ).fit(train)
    t.seconds["ease"] = time.perf_counter() - start
    start = time.perf_counter()
    if deepwalk is None:
        dw_params = params.deepwalk if annoy is None else replace(params.deepwalk, annoy=annoy)
        deepwalk = DeepWalkRecommender(dw_params, seed=seed).fit(train, warm_start=deepwalk_start)
        for key, value in deepwalk.stats.items():
            if key.endswith("_s"):
                t.seconds[f"deepwalk_{key[:-2]}"] = value
    t.seconds["deepwalk"] = time.perf_counter() - start
    return Channels(
        popularity=popularity,
        itemknn=itemknn,
        ease=ease,
        deepwalk=deepwalk,
        items=train.items,
        params=params.channels,
    )


def split_matrix(matrix: sp.csr_matrix, mask: npt.NDArray[np.bool_]) -> sp.csr_matrix:
    """The entries of a CSR matrix selected by a mask over its stored entries (row-major order)."""
    coo = matrix.tocsr().tocoo()
    return sp.csr_matrix(
        (coo.data[mask], (coo.row[mask], coo.col[mask])), shape=matrix.shape, dtype=matrix.dtype
    )


@dataclass
class Recommendation:
    """One recommended item index with its score, recall channel and explaining history item."""

    item: int
    score: float
    channel: str
    because: int | None


class PipelineRecommender(Recommender):
    """Recall channels + MLP ranker + re-rank (:func:`recsys.pipeline.rerank.rerank`)."""

    name = "pipeline"

    def __init__(self, params: PipelineParams | None = None, seed: int = 42) -> None:
        self.params = params or PipelineParams()
        self.seed = seed
        self.channels: Channels | None = None
        self.ranker: Ranker | None = None
        self.items: ItemTable | None = None
        self.ranker_history: TrainingHistory | None = None
        self.rerank_enabled = True
        self._tuned_ease: EASERecommender | None = None

    @classmethod
    def from_parts(
        cls, channels: Channels, ranker: Ranker, items: ItemTable, params: PipelineParams, seed: int
    ) -> PipelineRecommender:
        """Assemble from channels and a ranker trained elsewhere."""
        model = cls(params, seed)
        model.channels, model.ranker, model.items = channels, ranker, items
        return model

    def _parts(self) -> tuple[Channels, Ranker, ItemTable]:
        if self.channels is None or self.ranker is None or self.items is None:
            raise RuntimeError("the pipeline is not fitted")
        return self.channels, self.ranker, self.items

    def fit(self, train: TrainData, progress: Progress | None = None) -> Self:
        """Hold out part of each user's rows and run :meth:`fit_split` on them, with ``train`` as
        the rows the final channels learn from."""
        coo = train.matrix.tocsr().tocoo()
        parts = assign_parts(
            coo.row, seed=self.seed + 1, test_fraction=0.0, holdout_fraction=self.params.holdout_fraction
        )
        hold = parts == PART_HOLDOUT
        fit_matrix = split_matrix(train.matrix, ~hold)
        fit_positions = split_matrix(train.positions, ~hold) if train.positions is not None else None
        if fit_positions is None and train.graph is not None:
            raise ValueError("the pipeline needs positions to build the graph of its fit rows")
        fit_data = TrainData(matrix=fit_matrix, items=train.items, positions=fit_positions)
        return self.fit_split(fit_data, split_matrix(train.matrix, hold), train, progress=progress)

    def tune_ease_weight(
        self,
        fit: sp.csr_matrix,
        holdout: sp.csr_matrix,
        *,
        progress: Progress | None = None,
        stage: Stage = _untimed,
        extra: dict[str, Any] | None = None,
    ) -> EASERecommender:
        """Step 1 of :meth:`fit_split` on its own (it needs no item graph, so training runs it
        while the graph job runs): EASE's L2 weight and EDLAE's dropout chosen on ``fit`` ->
        ``holdout`` (:func:`recsys.pipeline.ease_tuning.tune_ease`, the grids walked from
        ``params.ease_l2`` and ``params.ease_dropout``; an empty L2 grid keeps both, an empty
        dropout grid is plain EASE). The next :meth:`fit_split` on the same ``fit`` rows uses the
        fitted model instead of tuning again.

        Returns
        -------
        EASERecommender
            Fitted on ``fit`` with the chosen pair (also ``params.ease_l2``,
            ``params.ease_dropout``; plain EASE's own choice is ``params.ease_baseline_l2``).
        """
        p = self.params
        with stage("ease_tuning"):
            if p.ease_l2_grid:
                ease_fit, table = tune_ease(
                    fit,
                    holdout,
                    grid=p.ease_l2_grid,
                    min_item_users=p.ease_min_item_users,
                    seed=self.seed,
                    start=p.ease_l2,
                    dropout_grid=p.ease_dropout_grid or (0.0,),
                    dropout_start=p.ease_dropout,
                )
                baseline = baseline_l2(table)
                if extra is not None:
                    extra["ease_tuning"] = table
                (progress or _silent)(
                    f"ease: l2 {ease_fit.l2:g} dropout {ease_fit.dropout:.2f}, "
                    f"plain EASE l2 {baseline:g} ({table})"
                )
            else:
                ease_fit = EASERecommender(
                    l2=p.ease_l2, min_item_users=p.ease_min_item_users, dropout=p.ease_dropout
                ).fit_matrix(fit)
                baseline = p.ease_baseline_l2
        self.params = replace(
            p, ease_l2=ease_fit.l2, ease_dropout=ease_fit.dropout, ease_baseline_l2=baseline
        )
        self._tuned_ease = ease_fit
        return ease_fit

    def fit_split(
        self,
        fit: TrainData,
        holdout: sp.csr_matrix,
        final: TrainData,
        *,
        progress: Progress | None = None,
        stage: Stage = _untimed,
        extra: dict[str, Any] | None = None,
        tune_annoy: bool = False,
    ) -> Self:
        """The training recipe: tune EASE, fit channels, learn the ranker, refit the channels.

        1. ``ease_tuning``: EASE's L2 weight by fit -> holdout (:meth:`tune_ease_weight`,
           unless it already ran);
        2. ``channels_fit``: every channel fitted on ``fit``; with ``tune_annoy``,
           ``annoy_tuning``: the Annoy configuration chosen on these DeepWalk vectors
           (:meth:`~recsys.pipeline.deepwalk.DeepWalkRecommender.tune_annoy`), used from here on;
        3. ``ranker_data``: per user with held-out items, the recalled candidates (+ random
           negatives) with features, labelled by ``holdout`` (:func:`ranker_groups`), while in
           a second thread
        4. ``channels_train``: the channels are refitted on ``final`` (the ranker is kept;
           DeepWalk starts from the fit part's vectors);
        5. ``ranker_train``: the MLP (CUDA when available).

        Parameters
        ----------
        fit : TrainData
            Rows the ranker's features come from.
        holdout : scipy.sparse.csr_matrix
            Users x items held-out positives (labels), disjoint from ``fit``.
        final : TrainData
            Rows the kept channels are fitted on (usually ``fit`` + ``holdout``).
        progress : callable, optional
            Progress lines.
        stage : callable, optional
            ``stage(name)`` returns a context manager wrapped around each step (timing).
        extra : dict, optional
            Receives the EASE and Annoy tables, the ranker data sizes and the loss curve.
        tune_annoy : bool
            Measure Annoy's configurations (else ``params.deepwalk.annoy`` as given).

        Returns
        -------
        PipelineRecommender
            ``self``, fitted; ``params.ease_l2`` / ``params.ease_dropout`` are the chosen pair.
        """
        say = progress or _silent
        info = extra if extra is not None else {}
        if self._tuned_ease is None:
            self.tune_ease_weight(fit.matrix, holdout, progress=progress, stage=stage, extra=info)
        ease_fit, self._tuned_ease = self._tuned_ease, None
        assert ease_fit is not None
        p = self.params
        ct = ChannelTimings()
        with stage("channels_fit"):
            channels_fit = fit_channels(fit, params=p, seed=self.seed, ease=ease_fit, timings=ct)
        if tune_annoy:
            with stage("annoy_tuning"):
                info["annoy"] = channels_fit.deepwalk.tune_annoy(fit.matrix)
                self.params = p = replace(
                    p, deepwalk=replace(p.deepwalk, annoy=channels_fit.deepwalk.annoy_config)
                )
                say(f"annoy: chose {p.deepwalk.annoy} ({info['annoy']['table']})")
        deepwalk_fit = channels_fit.deepwalk

        def refit_channels() -> Channels:
            # The fit part's vectors start the next DeepWalk (half the epochs; README: DeepWalk).
            with stage("channels_train"):
                channels = fit_channels(
                    final, params=p, seed=self.seed, timings=ct, deepwalk_start=deepwalk_fit
                )
            # PyTorch's import (2 s) while the ranker's data is still being built.
            importlib.import_module("recsys.pipeline.ranker_torch")
            return channels

        # The refit needs neither the ranker nor its data: it runs (gensim and LAPACK, outside the
        # interpreter lock) while this thread builds the ranker's data (one core of Python).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="refit") as pool:
            refitted = pool.submit(refit_channels)
            with stage("ranker_data"):
                groups = ranker_groups(
                    channels_fit,
                    fit.matrix,
                    holdout,
                    random_negatives=p.random_negatives,
                    seed=self.seed,
                    progress=progress,
                )
                n_pos = float(groups.labels.sum(dtype=np.float64))
                n_holdout = float(holdout.nnz)
                info["ranker_data"] = {
                    "users": len(groups),
                    "rows": groups.n_rows,
                    "holdout_items": n_holdout,
                    # Held-out items the channels recalled (the ranker only learns from those).
                    "candidate_recall_of_holdout": n_pos / max(1.0, n_holdout),
                    "positives": n_pos,
                }
            del channels_fit

            with stage("ranker_train"):
                self.ranker, self.ranker_history = train_ranker(
                    groups,
                    feature_names=FEATURE_NAMES,
                    seed=self.seed,
                    params=p.ranker,
                    device=training_device(),
                    progress=progress,
                )
                info["ranker"] = history_dict(self.ranker_history)
                groups.close()
            self.channels = refitted.result()
        info["channel_seconds"] = {k: round(v, 3) for k, v in ct.seconds.items()}
        self.items = final.items
        return self

    def refit(self, data: TrainData, *, deepwalk: DeepWalkRecommender | None = None) -> PipelineRecommender:
        """A copy whose channels are refitted on ``data`` with the same ranker and parameters (the
        served model: every row). ``deepwalk`` reuses vectors already trained on ``data``."""
        _, ranker, _ = self._parts()
        channels = fit_channels(data, params=self.params, seed=self.seed, deepwalk=deepwalk)
        return PipelineRecommender.from_parts(channels, ranker, data.items, self.params, self.seed)

    def rank(
        self,
        items: IntArray,
        weights: FloatArray,
        *,
        exclude: IntArray | None = None,
        user_vector: FloatArray | None = None,
    ) -> tuple[CandidateSet, FloatArray]:
        """Candidates for one user and their MLP scores (before re-ranking)."""
        channels, ranker, _ = self._parts()
        cs = channels.candidates(items, weights, exclude=exclude, user_vector=user_vector)
        scores = ranker.score(cs.features) if cs.items.size else np.zeros(0, dtype=np.float32)
        return cs, scores

    def recommend_items(
        self,
        items: IntArray,
        weights: FloatArray,
        *,
        k: int,
        exclude: IntArray | None = None,
        explain: bool = True,
        user_vector: FloatArray | None = None,
        avoid: IntArray | None = None,
        explain_from: IntArray | None = None,
    ) -> list[Recommendation]:
        """The final list for one user: recall, MLP scores, re-rank, reasons.

        Parameters
        ----------
        items : numpy.ndarray
            The user's item indices.
        weights : numpy.ndarray
            Their interaction weights.
        k : int
            Length of the list.
        exclude : numpy.ndarray, optional
            Item indices that must not appear.
        explain : bool
            Compute the ``because`` item of each entry.
        user_vector : numpy.ndarray, optional
            A precomputed user vector (else computed from ``items``).
        avoid : numpy.ndarray, optional
            Item indices the user disliked or is not interested in: candidates of their
            franchises are dropped, their :data:`AVOID_NEIGHBOURS` closest ItemKNN neighbours
            come after every other candidate.
        explain_from : numpy.ndarray, optional
            The only history items a ``because`` may name (the liked ones); default ``items``.

        Returns
        -------
        list of Recommendation
        """
        channels, _, _ = self._parts()
        with single_threaded_blas():
            cs, scores = self.rank(items, weights, exclude=exclude, user_vector=user_vector)
            if avoid is not None and avoid.size and cs.items.size:
                cs, scores = self._push_down(cs, scores, np.asarray(avoid, dtype=np.int64))
            if cs.items.size == 0:
                return []
            chosen = self._order(cs, scores, k)
            picked = cs.items[np.asarray(chosen, dtype=np.int64)]
            hist = np.asarray(items if explain_from is None else explain_from, dtype=np.int64)
            because = channels.explain(hist, picked) if explain else [None] * len(chosen)
        return [
            Recommendation(
                item=int(cs.items[c]),
                score=float(scores[c]),
                channel=CHANNELS[int(cs.channel[c])] if cs.channel[c] >= 0 else "extra",
                because=b,
            )
            for c, b in zip(chosen, because, strict=True)
        ]

    def _push_down(
        self, cs: CandidateSet, scores: FloatArray, avoid: IntArray
    ) -> tuple[CandidateSet, FloatArray]:
        """Drop candidates of the avoided items' franchises; move their close neighbours last."""
        channels, _, _ = self._parts()
        keep = ~np.isin(channels.franchise[cs.items], channels.franchise[avoid])
        if not keep.all():
            cs = cs.subset(np.flatnonzero(keep))
            scores = scores[keep]
        if cs.items.size == 0:
            return cs, scores
        neighbours = channels.itemknn.neighbours[avoid, :AVOID_NEIGHBOURS].ravel()
        near = np.isin(cs.items, neighbours[neighbours >= 0])
        if near.any():
            scores = scores.copy()
            floor = float(scores.min()) - 1.0
            # Keep their relative order, below every other candidate.
            scores[near] = floor - (float(scores.max()) - scores[near]) - 1.0
        return cs, scores

    def _order(self, cs: CandidateSet, scores: FloatArray, k: int) -> list[int]:
        channels, _, _ = self._parts()
        if not self.rerank_enabled:
            return [int(i) for i in np.argsort(-scores, kind="stable")[:k]]
        return rerank(
            scores,
            genres=channels.genres[cs.items],
            franchise=channels.franchise[cs.items],
            k=k,
            params=self.params.rerank,
        )

    def score(self, user_items: sp.csr_matrix) -> FloatArray:
        """MLP scores of each row's candidates (``-inf`` elsewhere); no re-ranking."""
        _, _, items = self._parts()
        rows = user_items.tocsr()
        out = np.full((rows.shape[0], len(items)), -np.inf, dtype=np.float32)
        with single_threaded_blas():
            for r in range(rows.shape[0]):
                lo, hi = rows.indptr[r], rows.indptr[r + 1]
                cs, s = self.rank(rows.indices[lo:hi].astype(np.int64), rows.data[lo:hi].astype(np.float32))
                out[r, cs.items] = s
        return out

    def recommend_lists(self, user_items: sp.csr_matrix, k: int) -> tuple[IntArray, IntArray]:
        """Top-k per row with and without the re-ranking step, from one recall and scoring pass."""
        rows = user_items.tocsr()
        reranked = np.full((rows.shape[0], k), -1, dtype=np.int64)
        plain = np.full((rows.shape[0], k), -1, dtype=np.int64)
        with single_threaded_blas():
            for r in range(rows.shape[0]):
                lo, hi = rows.indptr[r], rows.indptr[r + 1]
                cs, s = self.rank(rows.indices[lo:hi].astype(np.int64), rows.data[lo:hi].astype(np.float32))
                if cs.items.size == 0:
                    continue
                top = np.argsort(-s, kind="stable")[:k]
                plain[r, : top.size] = cs.items[top]
                chosen = self._order(cs, s, k) if self.rerank_enabled else top.tolist()
                reranked[r, : len(chosen)] = cs.items[np.asarray(chosen, dtype=np.int64)]
        return reranked, plain

    def recommend(self, user_items: sp.csr_matrix, k: int) -> tuple[IntArray, FloatArray]:
        rows = user_items.tocsr()
        ids = np.full((rows.shape[0], k), -1, dtype=np.int64)
        vals = np.full((rows.shape[0], k), -np.inf, dtype=np.float32)
        with single_threaded_blas():
            for r in range(rows.shape[0]):
                lo, hi = rows.indptr[r], rows.indptr[r + 1]
                recs = self.recommend_items(
                    rows.indices[lo:hi].astype(np.int64),
                    rows.data[lo:hi].astype(np.float32),
                    k=k,
                    explain=False,
                )
                for j, rec in enumerate(recs):
                    ids[r, j] = rec.item
                    vals[r, j] = rec.score
        return ids, vals

    def similar_items(self, item: int, k: int) -> tuple[IntArray, FloatArray]:
        channels, _, _ = self._parts()
        ids, vals = channels.deepwalk.similar_items(item, k)
        if (ids >= 0).any():
            return ids, vals
        return channels.itemknn.similar_items(item, k)

    def save(self, directory: Path) -> None:
        channels, ranker, items = self._parts()
        directory.mkdir(parents=True, exist_ok=True)
        channels.save(directory / "channels")
        ranker.save(directory / "ranker")
        items.save(directory / "items")
        meta = {"model": self.name, "seed": self.seed, "params": asdict(self.params)}
        (directory / "pipeline.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Self:
        meta = json.loads((directory / "pipeline.json").read_text(encoding="utf-8"))
        model = cls(params_from_dict(meta["params"]), seed=int(meta["seed"]))
        items = ItemTable.load(directory / "items")
        model.items = items
        model.channels = Channels.load(directory / "channels", items)
        model.ranker = Ranker.load(directory / "ranker")
        return model
