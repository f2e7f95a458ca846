"""Training: the whole pipeline in timed stages, evaluated in the same run, written to one folder.

:func:`train_bundle` is the entry point the model registry calls (it reads the database);
:func:`run_training` does the work on an in-memory :class:`~recsys.pipeline.data.Dataset`, and
:func:`run_evaluation` only the evaluation half (``manage.py evaluate_recsys``).

Stages (each timed, each announced through ``progress``; two pairs run side by side, the graph
job with EASE's tuning and the ranker's data with the channels' refit, so the stage times add up
to more than the wall time, ``timings["total"]``):

1. ``export``: the database -> parquet -> :class:`Dataset` (train_bundle only);
2. ``split``: the seeded 80/20 split per user, and a further 80/20 of the training part whose
   holdout labels the ranker (:func:`recsys.pipeline.data.assign_parts`);
3. ``spark_graph``: Spark builds the item graphs of the ``fit`` and ``train`` rows, in a JVM
   (``graph`` when built in this process, :func:`graph_master`), while the Python process runs
4. ``ease_tuning``: EASE's L2 weight chosen on fit -> holdout
   (:meth:`~recsys.pipeline.ranking.PipelineRecommender.tune_ease_weight`);
5-9. ``channels_fit``, ``annoy_tuning`` (Annoy recall@50 vs exact search on the fit part's DeepWalk
   vectors for a grid of ``n_trees`` / ``search_k``; the cheapest configuration with recall
   >= 0.95 is used everywhere), ``ranker_data`` beside ``channels_train``, ``ranker_train``: the rest of
   the pipeline's one training recipe, :meth:`recsys.pipeline.ranking.PipelineRecommender.fit_split`
   (the ranker learnt on fit -> holdout, never the test split; the channels refitted on
   fit + holdout);
11. ``evaluation``: every model measured on the test part;
12. ``channels_full``, ``save``: the served model (:meth:`~recsys.pipeline.ranking.PipelineRecommender.refit`:
    popularity, ItemKNN and EASE on every row; the evaluated DeepWalk vectors and ranker),
    written to ``out_dir``.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.pipeline.candidates import FEATURE_NAMES
from recsys.pipeline.contract import ProgressFn, TrainReport
from recsys.pipeline.data import PART_FIT, PART_HOLDOUT, PART_TEST, Dataset, assign_parts
from recsys.pipeline.evaluation import (
    evaluate_model,
    evaluate_streams,
    format_table,
    plot_loss_curve,
    score_lists,
    write_evaluation,
)
from recsys.pipeline.params import PipelineParams
from recsys.pipeline.ranking import PipelineRecommender
from recsys.pipeline.recommenders import EASERecommender, TrainData
from recsys.pipeline.rerank import RerankParams, rerank
from recsys.pipeline.spark_graph import DATASET_PARTS
from recsys.pipeline.walks import EdgeList, sequence_edges

# Bumped whenever what the metrics measure changes, so the quality gate never compares figures
# measured differently. 2: disliked rows are no target; recall@k is the standard recall.
EVALUATION_PROTOCOL = 2


@dataclass
class _Clock:
    progress: ProgressFn
    timings: dict[str, float]

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.progress(f"[{name}] started")
        start = time.perf_counter()
        yield
        took = time.perf_counter() - start
        self.timings[name] = round(took, 3)
        self.progress(f"[{name}] done in {took:.1f} s")


def _rows(dataset: Dataset, parts: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    return np.isin(dataset.part, parts)


def train_data_for(dataset: Dataset, parts: tuple[int, ...], graph: EdgeList | None) -> TrainData:
    """The :class:`TrainData` of the rows in ``parts`` (matrix, positions) with a prebuilt graph."""
    rows = _rows(dataset, parts)
    return TrainData(
        matrix=dataset.matrix(rows),
        items=dataset.items,
        positions=dataset.positions(rows),
        graph=graph,
    )


GRAPH_PARTS: dict[str, tuple[int, ...]] = {name: DATASET_PARTS[name] for name in ("train", "fit")}
"""The item graphs training needs: DeepWalk on the ``fit`` rows (the ranker's features) and on
the ``train`` rows (evaluated, then served)."""


def item_graphs(dataset: Dataset, *, work_dir: Path, spark_master: str | None) -> dict[str, EdgeList]:
    """The :data:`GRAPH_PARTS` item graphs: by Spark, or by numpy when no master is given."""
    if spark_master:
        from recsys.pipeline.spark_graph import build_item_graphs, write_rows

        rows_path = write_rows(dataset, work_dir / "rows.parquet")
        return build_item_graphs(
            rows_path=rows_path,
            out_dir=work_dir,
            n_items=dataset.n_items,
            master=spark_master,
            datasets=GRAPH_PARTS,
        )
    return {
        name: sequence_edges(dataset.positions(_rows(dataset, parts))).sorted()
        for name, parts in GRAPH_PARTS.items()
    }


RERANK_POOL = 200
"""How many of a baseline's best items :func:`reranked_lists` re-ranks."""


def reranked_lists(model: Any, channels: Any, params: RerankParams) -> Any:
    """``recommend(rows, k) -> {"plain": ids, "reranked": ids}``: ``model``'s own top-k lists and,
    from the same scoring pass, the served re-rank (:func:`recsys.pipeline.rerank.rerank`, one entry
    per franchise) over its best :data:`RERANK_POOL` items: a baseline held to the same list rule as
    the pipeline. Both are ``(n_rows, k)`` item indices, -1 where a list is shorter."""

    def recommend(rows: sp.csr_matrix, k: int) -> dict[str, npt.NDArray[np.int64]]:
        ids, scores = model.recommend(rows, max(k, RERANK_POOL))
        out = np.full((ids.shape[0], k), -1, dtype=np.int64)
        for r in range(ids.shape[0]):
            ok = ids[r] >= 0
            cand = ids[r][ok]
            if cand.size:
                chosen = rerank(
                    scores[r][ok],
                    genres=channels.genres[cand],
                    franchise=channels.franchise[cand],
                    k=k,
                    params=params,
                )
                out[r, : len(chosen)] = cand[np.asarray(chosen, dtype=np.int64)]
        return {"plain": np.ascontiguousarray(ids[:, :k]), "reranked": out}

    return recommend


def _plain_ease(channel: EASERecommender, train: sp.csr_matrix, l2: float) -> EASERecommender:
    """The baseline: ``channel`` itself when it is plain EASE, else plain EASE (dropout 0) at weight
    ``l2`` on the same rows and items."""
    if channel.dropout == 0.0:
        return channel
    plain = EASERecommender(l2=l2, min_item_users=channel.min_item_users, max_items=channel.max_items)
    return plain.fit_matrix(train)


def _evaluate_all(
    *,
    channels_train: Any,
    pipeline: PipelineRecommender,
    train: sp.csr_matrix,
    test: sp.csr_matrix,
    clock: _Clock,
) -> dict[str, dict[str, float]]:
    metrics: dict[str, dict[str, float]] = {}
    models = {
        "popularity": channels_train.popularity,
        "itemknn": channels_train.itemknn,
        "deepwalk": channels_train.deepwalk,
    }
    for name, model in models.items():
        metrics[name] = evaluate_model(model.recommend, train, test, label=name, progress=clock.progress)
        clock.progress(
            f"  {name}: recall@20 {metrics[name]['recall@20']:.4f} ndcg@20 {metrics[name]['ndcg@20']:.4f}"
        )
    # The best baseline (plain EASE at its own weight), the same lists under the served list's rule
    # (one entry per franchise: like for like) and the pipeline's EASE channel alone (EDLAE), from
    # one pass over the users.
    channel = channels_train.ease
    baseline = _plain_ease(channel, train, pipeline.params.ease_baseline_l2)
    ease_lists = reranked_lists(baseline, channels_train, pipeline.params.rerank)
    names = ("ease", "ease_rerank") + (("edlae",) if baseline is not channel else ())

    def ease_all(rows: sp.csr_matrix, k: int) -> dict[str, npt.NDArray[np.int64]]:
        lists = ease_lists(rows, k)
        out = {"ease": lists["plain"], "ease_rerank": lists["reranked"]}
        if baseline is not channel:
            out["edlae"] = channel.recommend(rows, k)[0]
        return out

    both = evaluate_streams(ease_all, train, test, label="ease", progress=clock.progress)
    for name in names:
        metrics[name] = both[name]
        clock.progress(
            f"  {name}: recall@20 {metrics[name]['recall@20']:.4f} ndcg@20 {metrics[name]['ndcg@20']:.4f}"
        )
    metrics.update(
        evaluate_streams(
            lambda rows, k: dict(
                zip(("pipeline", "pipeline_no_rerank"), pipeline.recommend_lists(rows, k), strict=True)
            ),
            train,
            test,
            label="pipeline",
            progress=clock.progress,
        )
    )
    for name in ("pipeline", "pipeline_no_rerank"):
        clock.progress(
            f"  {name}: recall@20 {metrics[name]['recall@20']:.4f} ndcg@20 {metrics[name]['ndcg@20']:.4f}"
        )
    return metrics


ABLATIONS: dict[str, dict[str, int]] = {
    "without ease channel": {"ease": 0},
    "without itemknn channel": {"itemknn": 0},
    "without annoy_user channel": {"annoy_user": 0},
    "without annoy_recent channel": {"per_seed": 0},
    "without popular channel": {"popular": 0},
}


def ablation_table(
    pipeline: PipelineRecommender,
    train: sp.csr_matrix,
    test: sp.csr_matrix,
    *,
    sample_users: int = 1000,
    seed: int = 0,
    progress: ProgressFn,
) -> dict[str, dict[str, float]]:
    """What each stage adds: the pipeline with each recall channel switched off, without the
    re-rank, and with the ranker replaced by the channels' own order (EASE score, the first
    channel), on the same sample of test users (standard and normalised recall, NDCG).

    Returns
    -------
    dict
        Row name -> metrics (:func:`recsys.pipeline.evaluation.score_lists`).
    """
    assert pipeline.channels is not None
    te = test.tocsr()
    users = np.flatnonzero(np.diff(te.indptr) > 0)
    rng = np.random.default_rng(seed)
    if users.size > sample_users:
        users = np.sort(rng.choice(users, size=sample_users, replace=False))
    rows = train.tocsr()[users]
    sub_test = te[users]
    all_users = np.arange(users.size)
    table: dict[str, dict[str, float]] = {}
    reranked, plain = pipeline.recommend_lists(rows, 20)
    table["pipeline (recall + ranker + re-rank)"] = score_lists(all_users, reranked, sub_test)
    table["without re-rank"] = score_lists(all_users, plain, sub_test)
    ease_lists = reranked_lists(pipeline.channels.ease, pipeline.channels, pipeline.params.rerank)
    ease_ids = ease_lists(rows, 20)["reranked"]
    table["without ranker (EASE order, re-ranked)"] = score_lists(all_users, ease_ids, sub_test)
    base = pipeline.channels.params
    try:
        for name, change in ABLATIONS.items():
            pipeline.channels.params = replace(base, **change)
            ablated, _ = pipeline.recommend_lists(rows, 20)
            table[name] = score_lists(all_users, ablated, sub_test)
            progress(f"  ablation {name}: recall@20 {table[name]['recall@20']:.4f}")
    finally:
        pipeline.channels.params = base
    return table


@dataclass
class EvaluationResult:
    """What :func:`run_evaluation` measured, and the pieces training goes on with."""

    metrics: dict[str, dict[str, float]]
    extra: dict[str, Any]
    pipeline: PipelineRecommender
    graphs: dict[str, EdgeList]


def run_evaluation(
    dataset: Dataset,
    *,
    progress: ProgressFn,
    seed: int = 42,
    params: PipelineParams | None = None,
    spark_master: str | None = "local[2]",
    work_dir: Path,
    timings: dict[str, float] | None = None,
    fixed_test: npt.NDArray[np.bool_] | None = None,
    tune_annoy: bool = False,
    ablation: bool = False,
) -> EvaluationResult:
    """Split, fit every model on the training part, measure all of them on the test part.

    Parameters
    ----------
    dataset : Dataset
        All interactions (its ``part`` is overwritten by the split).
    progress : callable
        Progress lines.
    seed : int
        Seed of the split, walks, Word2Vec, Annoy and the ranker.
    params : PipelineParams, optional
        Pipeline parameters.
    spark_master : str or None
        Spark master for the graph job; None builds the graphs with numpy.
    work_dir : pathlib.Path
        Scratch folder (parquet for Spark).
    timings : dict, optional
        Receives per-stage seconds.
    fixed_test : numpy.ndarray of bool, optional
        Rows of an external test file (instead of the random split).
    tune_annoy : bool
        Choose Annoy's configuration by measurement (else the parameters' one).
    ablation : bool
        Also measure :func:`ablation_table` (``extra["ablation"]``).

    Returns
    -------
    EvaluationResult
    """
    p = params or PipelineParams()
    clock = _Clock(progress, timings if timings is not None else {})
    extra: dict[str, Any] = {}
    dataset, fixed_test = _positives(dataset, progress, fixed_test)
    with clock.stage("split"):
        dataset.part = assign_parts(
            dataset.user,
            seed=seed,
            test_fraction=0.2,
            holdout_fraction=p.holdout_fraction,
            fixed_test=fixed_test,
        )
        counts = {
            name: int((dataset.part == code).sum())
            for name, code in (("fit", 0), ("holdout", 1), ("test", 2))
        }
        extra["split"] = {
            "seed": seed,
            "method": "random per user: floor(20%) of each user's rows -> test; floor(20%) of the rest -> "
            "ranker holdout; users with < 5 rows keep all rows for training",
            "rows": counts,
        }
        progress(f"split: {counts}")
    pipeline_eval = PipelineRecommender(p, seed)
    holdout = dataset.matrix(_rows(dataset, (PART_HOLDOUT,)))

    def build_graphs() -> dict[str, EdgeList]:
        with clock.stage("spark_graph" if spark_master else "graph"):
            built = item_graphs(dataset, work_dir=work_dir, spark_master=spark_master)
            extra["graph_edges"] = {name: len(g) for name, g in built.items()}
            progress(f"graph edges: {extra['graph_edges']}")
        return built

    # EASE's weight needs no graph: it is chosen while the graph job (a JVM) runs.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph") as pool:
        graph_job = pool.submit(build_graphs)
        pipeline_eval.tune_ease_weight(
            dataset.matrix(_rows(dataset, (PART_FIT,))),
            holdout,
            progress=progress,
            stage=clock.stage,
            extra=extra,
        )
        graphs = graph_job.result()
    fit_data = train_data_for(dataset, (PART_FIT,), graphs["fit"])
    train_data = train_data_for(dataset, (PART_FIT, PART_HOLDOUT), graphs["train"])
    pipeline_eval.fit_split(
        fit_data,
        holdout,
        train_data,
        progress=progress,
        stage=clock.stage,
        extra=extra,
        tune_annoy=tune_annoy,
    )
    p_used = pipeline_eval.params
    assert pipeline_eval.channels is not None
    test = dataset.matrix(_rows(dataset, (PART_TEST,)))
    with clock.stage("evaluation"):
        metrics = _evaluate_all(
            channels_train=pipeline_eval.channels,
            pipeline=pipeline_eval,
            train=train_data.matrix,
            test=test,
            clock=clock,
        )
        progress("\n" + format_table(metrics))
    if ablation:
        with clock.stage("ablation"):
            extra["ablation"] = ablation_table(
                pipeline_eval, train_data.matrix, test, seed=seed, progress=progress
            )
            progress("ablation (sample of test users):\n" + format_table(extra["ablation"]))
    extra["params"] = _params_json(p_used)
    return EvaluationResult(metrics, extra, pipeline_eval, graphs)


def _positives(
    dataset: Dataset, progress: ProgressFn, fixed_test: npt.NDArray[np.bool_] | None
) -> tuple[Dataset, npt.NDArray[np.bool_] | None]:
    """The dataset without disliked rows (score 1-4, dropped: :mod:`recsys.preferences`), and the
    external test mask restricted to the rows kept."""
    keep = dataset.weights() > 0
    positives = dataset.without_dislikes()
    if positives is dataset:
        return dataset, fixed_test
    progress(f"preferences: {dataset.n_rows - positives.n_rows} disliked rows left out of {dataset.n_rows}")
    return positives, (None if fixed_test is None else fixed_test[keep])


def _params_json(p: PipelineParams) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(asdict(p)))
    return out


def run_training(
    dataset: Dataset,
    *,
    out_dir: Path,
    progress: ProgressFn,
    seed: int = 42,
    params: PipelineParams | None = None,
    spark_master: str | None = "local[2]",
    timings: dict[str, float] | None = None,
    ablation: bool = False,
) -> TrainReport:
    """Evaluate (:func:`run_evaluation`), then fit the served model on every row and write it.

    ``ablation`` also measures :func:`ablation_table` (stored in the report's ``extra``).

    ``out_dir`` receives the bundle (:func:`recsys.pipeline.bundle.load_bundle` reads it),
    ``evaluation.json`` / ``evaluation.png``, ``ranker_loss.png``, ``meta.json`` (the report).
    The graph job's scratch files go to ``out_dir/work`` and are removed at the end.
    """
    import shutil

    started = time.perf_counter()
    t: dict[str, float] = timings if timings is not None else {}
    clock = _Clock(progress, t)
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = out_dir / "work"
    dataset, _ = _positives(dataset, progress, None)
    result = run_evaluation(
        dataset,
        progress=progress,
        seed=seed,
        params=params,
        spark_master=spark_master,
        work_dir=work_dir,
        timings=t,
        tune_annoy=True,
        ablation=ablation,
    )
    with clock.stage("channels_full"):
        full = train_data_for(dataset, (PART_FIT, PART_HOLDOUT, PART_TEST), None)
        # DeepWalk's vectors are the evaluated ones (fit + holdout rows): a third skip-gram
        # training on every row cost a quarter of the retrain for vectors of 25 % more walks.
        assert result.pipeline.channels is not None
        served = result.pipeline.refit(full, deepwalk=result.pipeline.channels.deepwalk)
    with clock.stage("save"):
        served.save(out_dir / "model")
        ids = dataset.items.anime_ids
        np.save(out_dir / "model" / "user_ids.npy", dataset.user_ids, allow_pickle=False)
        plot_loss_curve(result.extra.get("ranker", {}), out_dir / "ranker_loss.png")
        shutil.rmtree(work_dir, ignore_errors=True)
    t["total"] = round(time.perf_counter() - started + t.get("export", 0.0), 3)
    primary = float(result.metrics["pipeline"]["ndcg@20"])
    report = TrainReport(
        params=result.extra["params"],
        metrics={name: {k: float(v) for k, v in m.items()} for name, m in result.metrics.items()},
        timings=dict(t),
        primary_metric=primary,
        n_users=dataset.n_users,
        n_items=int(ids.shape[0]),
        extra={
            **{k: v for k, v in result.extra.items() if k != "params"},
            "feature_names": list(FEATURE_NAMES),
            "evaluation_protocol": EVALUATION_PROTOCOL,
            "device": result.extra.get("ranker", {}).get("device", "cpu"),
            "machine": {"platform": platform.platform(), "python": platform.python_version()},
            "rows": dataset.n_rows,
        },
    )
    write_evaluation(
        out_dir,
        metrics=report.metrics,
        extra={
            "timings": report.timings,
            "split": report.extra.get("split"),
            "annoy": report.extra.get("annoy"),
            "ease_tuning": report.extra.get("ease_tuning"),
            "ablation": report.extra.get("ablation"),
        },
    )
    (out_dir / "meta.json").write_text(
        json.dumps(asdict(report), indent=2, sort_keys=True, default=float), encoding="utf-8"
    )
    progress("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in t.items()))
    return report


def train_bundle(
    *, out_dir: Path, progress: ProgressFn, seed: int = 42, ablation: bool = False
) -> TrainReport:
    """Read the interactions from the database, train, evaluate and write the bundle to ``out_dir``.

    Touches neither Redis nor the model registry (the caller promotes). See the module docstring
    for the stages; the returned report's ``primary_metric`` is the pipeline's NDCG@20.

    Parameters
    ----------
    out_dir : pathlib.Path
        The version folder (created if missing).
    progress : callable
        Receives one line per step.
    seed : int
        Seed of every random choice.
    ablation : bool
        Also measure the ablation table (:func:`ablation_table`; a few minutes more).

    Returns
    -------
    TrainReport
    """
    from django.conf import settings

    from recsys.pipeline.source import dataset_from_database

    timings: dict[str, float] = {}
    start = time.perf_counter()
    progress("[export] started")
    dataset = dataset_from_database(export_dir=out_dir / "work" / "export", progress=progress)
    timings["export"] = round(time.perf_counter() - start, 3)
    progress(
        f"[export] done in {timings['export']:.1f} s: "
        f"{dataset.n_users} users, {dataset.n_items} items, {dataset.n_rows} rows"
    )
    if dataset.n_rows == 0:
        raise ValueError("no interactions to train on")
    return run_training(
        dataset,
        out_dir=out_dir,
        progress=progress,
        seed=seed,
        spark_master=graph_master(
            str(getattr(settings, "SPARK_MASTER", "local[2]")),
            rows=dataset.n_rows,
            min_rows=int(getattr(settings, "SPARK_GRAPH_MIN_ROWS", 0)),
            progress=progress,
        ),
        timings=timings,
        ablation=ablation,
    )


def graph_master(master: str, *, rows: int, min_rows: int, progress: ProgressFn) -> str | None:
    """Who builds the item graphs: the Spark ``master``, or None (this process, with numpy).

    A cluster master always gets the job; a local one (``local[...]``) only from ``min_rows``
    interactions (``settings.SPARK_GRAPH_MIN_ROWS``): below that, starting a JVM and shuffling
    costs a minute where numpy needs seconds, and the edges are the same
    (:func:`recsys.pipeline.walks.sequence_edges`, tested against the Spark job).
    """
    if not master:
        return None
    if master.startswith("local") and rows < min_rows:
        progress(f"graph: {rows} rows < SPARK_GRAPH_MIN_ROWS {min_rows}: built in this process")
        return None
    return master
