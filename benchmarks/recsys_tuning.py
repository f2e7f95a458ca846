"""Hyper-parameter tuning of the recommender on validation splits of the training rows.

The test part of the documented split (:func:`recsys.pipeline.data.assign_parts`, seed 42) is never
read here: every choice is measured on rows the training already holds.

* ``deepwalk``: walks and skip-gram settings, one axis at a time around the current defaults,
  fitted on the ``fit`` part and measured on the ranker's ``holdout`` part (Recall@20 standard,
  NDCG@20 binary; ItemKNN on the same split for reference).
* ``rerank``: the re-rank's genre penalty and franchise rule. A nested split of the training rows
  (20% of each user's training rows as validation) trains the channels and the ranker once, then
  every variant re-ranks the same scored candidates.
* ``ranker``: the MLP's epochs (3, 5, 10, 20) and batch size on the nested split (validation
  Recall@20 / NDCG@20 and seconds).

Usage::

    .venv/bin/python benchmarks/recsys_tuning.py deepwalk|rerank|ranker [--cache var/cache/ds.pkl]

Prints a table per axis and writes ``var/bench/recsys_tuning_<what>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "animesite.settings.local")


def _say(message: str) -> None:
    print(message, flush=True)


def load_dataset(cache: Path | None) -> Any:
    """The database's interactions as a positive-only :class:`~recsys.pipeline.data.Dataset`."""
    if cache is not None and cache.exists():
        with cache.open("rb") as fh:
            return pickle.load(fh)
    import tempfile

    import django

    django.setup()
    from recsys.pipeline.source import dataset_from_database

    with tempfile.TemporaryDirectory() as tmp:
        dataset = dataset_from_database(export_dir=Path(tmp), progress=_say).without_dislikes()
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("wb") as fh:
            pickle.dump(dataset, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return dataset


def _split(dataset: Any, seed: int) -> Any:
    from recsys.pipeline.data import assign_parts

    dataset.part = assign_parts(dataset.user, seed=seed, test_fraction=0.2, holdout_fraction=0.2)
    return dataset


def tune_deepwalk(dataset: Any, seed: int) -> dict[str, Any]:
    """One axis at a time around the defaults: fit part -> holdout part."""
    from recsys.pipeline.data import PART_FIT, PART_HOLDOUT
    from recsys.pipeline.deepwalk import DeepWalkParams, DeepWalkRecommender
    from recsys.pipeline.evaluation import evaluate_model
    from recsys.pipeline.recommenders import ItemKNNRecommender
    from recsys.pipeline.train import train_data_for
    from recsys.pipeline.walks import sequence_edges

    ds = _split(dataset, seed)
    fit_rows = ds.part == PART_FIT
    fit = train_data_for(ds, (PART_FIT,), sequence_edges(ds.positions(fit_rows)).sorted())
    holdout = ds.matrix(ds.part == PART_HOLDOUT)
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    knn = ItemKNNRecommender().fit(fit)
    m = evaluate_model(knn.recommend, fit.matrix, holdout)
    rows.append(
        {"model": "itemknn", "axis": "-", "value": "-", **_pick(m), "seconds": time.perf_counter() - start}
    )
    _say(_row(rows[-1]))
    base = DeepWalkParams()
    # The prior only changes the scoring rule: one fit, every weight.
    start = time.perf_counter()
    model = DeepWalkRecommender(base, seed=seed).fit(fit)
    fitted = time.perf_counter() - start
    for weight in (-0.5, -0.25, -0.1, 0.0, 0.25, 0.75):
        model.params = replace(base, prior_weight=weight)
        m = evaluate_model(model.recommend, fit.matrix, holdout)
        rows.append(
            {"model": "deepwalk", "axis": "prior_weight", "value": weight, **_pick(m), "seconds": fitted}
        )
        _say(_row(rows[-1]))
    axes: dict[str, list[Any]] = {"dim": [16, 64], "epochs": [2, 8], "walks_per_node": [10, 40]}
    for axis, values in axes.items():
        for value in values:
            params = _deepwalk_params(base, axis, value)
            start = time.perf_counter()
            model = DeepWalkRecommender(params, seed=seed).fit(fit)
            m = evaluate_model(model.recommend, fit.matrix, holdout)
            rows.append(
                {
                    "model": "deepwalk",
                    "axis": axis,
                    "value": value,
                    **_pick(m),
                    "seconds": time.perf_counter() - start,
                }
            )
            _say(_row(rows[-1]))
    return {"split": f"fit -> holdout (seed {seed})", "rows": rows}


def _deepwalk_params(base: Any, axis: str, value: Any) -> Any:
    if axis in ("dim", "epochs", "window", "ns_exponent", "sample"):
        return replace(base, word2vec=replace(base.word2vec, **{axis: value}))
    return replace(base, **{axis: value})


def _pick(m: dict[str, float]) -> dict[str, float]:
    return {k: round(float(m[k]), 4) for k in ("recall@20", "recall_norm@20", "ndcg@20") if k in m}


def _row(r: dict[str, Any]) -> str:
    return (
        f"{r['model']:>10} {r['axis']:>14}={r['value']!s:<8} recall@20 {r.get('recall@20', 0):.4f} "
        f"ndcg@20 {r.get('ndcg@20', 0):.4f}  ({r['seconds']:.1f} s)"
    )


def _nested(dataset: Any, seed: int) -> tuple[Any, Any, Any, Any]:
    """A nested split inside the training rows: (fit, holdout, train, validation matrix)."""
    from recsys.pipeline.data import PART_FIT, PART_HOLDOUT, PART_TEST, assign_parts
    from recsys.pipeline.train import train_data_for
    from recsys.pipeline.walks import sequence_edges

    ds = _split(dataset, seed)
    training = ds.part != PART_TEST
    inner = ds.subset(training)
    inner.part = assign_parts(inner.user, seed=seed + 1, test_fraction=0.2, holdout_fraction=0.2)
    graphs = {
        parts: sequence_edges(inner.positions(np.isin(inner.part, parts))).sorted()
        for parts in ((PART_FIT,), (PART_FIT, PART_HOLDOUT))
    }
    fit = train_data_for(inner, (PART_FIT,), graphs[(PART_FIT,)])
    train = train_data_for(inner, (PART_FIT, PART_HOLDOUT), graphs[(PART_FIT, PART_HOLDOUT)])
    holdout = inner.matrix(inner.part == PART_HOLDOUT)
    validation = inner.matrix(inner.part == PART_TEST)
    return fit, holdout, train, validation


def _metrics(lists: dict[int, list[int]], validation: Any) -> dict[str, float]:
    from recsys.pipeline.metrics import evaluate_lists

    users = sorted(lists)
    arr = np.full((len(users), 20), -1, dtype=np.int64)
    for i, u in enumerate(users):
        arr[i, : len(lists[u])] = lists[u][:20]
    relevant = [validation.indices[validation.indptr[u] : validation.indptr[u + 1]] for u in users]
    return _pick(evaluate_lists(arr, relevant, n_items=validation.shape[1], ks=(20,)))


def tune_rerank(dataset: Any, seed: int) -> dict[str, Any]:
    """Re-rank variants over the same scored validation candidates (the default ranker)."""
    from recsys.pipeline.candidates import FEATURE_NAMES
    from recsys.pipeline.ranker_torch import train_ranker
    from recsys.pipeline.rerank import RerankParams, rerank

    start = time.perf_counter()
    prepared, channels, cands, validation = _prepared(dataset, seed)
    ranker, _ = train_ranker([(f, y) for f, y, _ in prepared], feature_names=FEATURE_NAMES, seed=seed)
    scored = [(u, cs, ranker.score(cs.features)) for u, cs in cands]
    _say(f"pipeline fitted and candidates scored in {time.perf_counter() - start:.0f} s")
    variants: list[tuple[str, RerankParams | None]] = [("score order (no re-rank)", None)]
    for franchise in (False, True):
        for penalty in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5):
            variants.append(
                (
                    f"franchise {'one' if franchise else 'any'}, genre {penalty:g}",
                    RerankParams(genre_penalty=penalty, one_per_franchise=franchise),
                )
            )
    rows = []
    for name, params in variants:
        lists: dict[int, list[int]] = {}
        for u, cs, s in scored:
            if cs.items.size == 0:
                lists[u] = []
                continue
            if params is None:
                order = np.argsort(-s, kind="stable")[:20]
            else:
                order = np.asarray(
                    rerank(
                        s,
                        genres=channels.genres[cs.items],
                        franchise=channels.franchise[cs.items],
                        k=20,
                        params=params,
                    ),
                    dtype=np.int64,
                )
            lists[u] = cs.items[order].tolist()
        rows.append({"variant": name, **_metrics(lists, validation)})
        _say(f"{name:>32}: {rows[-1]}")
    return {"split": f"nested: 20% of each user's training rows (seed {seed})", "rows": rows}


def _prepared(dataset: Any, seed: int) -> tuple[Any, Any, list[tuple[int, Any]], Any]:
    """On the nested split: the ranker's training groups ``(features, labels, items)``, the
    channels fitted on the training rows and every validation user's candidates."""
    from recsys.pipeline.params import PipelineParams
    from recsys.pipeline.ranker_data import user_candidates
    from recsys.pipeline.ranking import fit_channels
    from recsys.pipeline.recommenders import EASERecommender

    p = PipelineParams()
    fit, holdout, train, validation = _nested(dataset, seed)
    ease_fit = EASERecommender(
        l2=p.ease_l2, min_item_users=p.ease_min_item_users, dropout=p.ease_dropout
    ).fit(fit)
    channels_fit = fit_channels(fit, params=p, seed=seed, ease=ease_fit)
    rng = np.random.default_rng(seed)
    h, y = fit.matrix.tocsr(), holdout.tocsr()
    groups = []
    for u in np.flatnonzero(np.diff(y.indptr) > 0).tolist():
        cs = user_candidates(channels_fit, h, u, random_negatives=p.random_negatives, rng=rng)
        if cs is None:
            continue
        positives = y.indices[y.indptr[u] : y.indptr[u + 1]]
        groups.append((cs.features, np.isin(cs.items, positives).astype(np.float32), cs.items))
    _say(f"ranker groups: {len(groups)}")
    del channels_fit
    channels = fit_channels(train, params=p, seed=seed)
    rows = train.matrix.tocsr()
    cands = []
    for u in np.flatnonzero(np.diff(validation.indptr) > 0).tolist():
        lo, hi = rows.indptr[u], rows.indptr[u + 1]
        cands.append(
            (
                u,
                channels.candidates(
                    rows.indices[lo:hi].astype(np.int64), rows.data[lo:hi].astype(np.float32)
                ),
            )
        )
    return groups, channels, cands, validation


def _franchise_weighted(groups: list[Any], franchise: Any) -> list[tuple[Any, Any]]:
    """Labels 1 / (positives of the same franchise in the group): each franchise counts once."""
    out = []
    for feats, labels, items in groups:
        weighted = labels.copy()
        pos = np.flatnonzero(labels > 0)
        if pos.size:
            _, inverse, counts = np.unique(franchise[items[pos]], return_inverse=True, return_counts=True)
            weighted[pos] = 1.0 / counts[inverse]
        out.append((feats, weighted))
    return out


def tune_ranker(dataset: Any, seed: int) -> dict[str, Any]:
    """Ranker variants trained on the same groups, measured on the same validation candidates."""
    from recsys.pipeline.candidates import FEATURE_NAMES
    from recsys.pipeline.ranker import RankerParams
    from recsys.pipeline.ranker_torch import train_ranker
    from recsys.pipeline.rerank import rerank

    prepared, channels, cands, validation = _prepared(dataset, seed)
    plain_groups = [(f, y) for f, y, _ in prepared]
    weighted_groups = _franchise_weighted(prepared, channels.franchise)
    rows = []
    for name, rp, groups in (
        ("default", RankerParams(), plain_groups),
        ("epochs 3", RankerParams(max_epochs=3), plain_groups),
        ("epochs 5", RankerParams(max_epochs=5), plain_groups),
        ("epochs 20", RankerParams(max_epochs=20, patience=3), plain_groups),
        ("batch 32, epochs 4", RankerParams(batch_users=32, max_epochs=4), plain_groups),
        (
            "batch 32, epochs 4, franchise-weighted labels",
            RankerParams(batch_users=32, max_epochs=4),
            weighted_groups,
        ),
    ):
        start = time.perf_counter()
        ranker, history = train_ranker(groups, feature_names=FEATURE_NAMES, seed=seed, params=rp)
        took = time.perf_counter() - start
        plain: dict[int, list[int]] = {}
        reranked: dict[int, list[int]] = {}
        for u, cs in cands:
            if cs.items.size == 0:
                plain[u] = reranked[u] = []
                continue
            s = ranker.score(cs.features)
            plain[u] = cs.items[np.argsort(-s, kind="stable")[:20]].tolist()
            chosen = rerank(s, genres=channels.genres[cs.items], franchise=channels.franchise[cs.items], k=20)
            reranked[u] = cs.items[np.asarray(chosen, dtype=np.int64)].tolist()
        row = {
            "ranker": name,
            "epochs": len(history.validation_loss),
            "train_seconds": round(took, 1),
            "plain": _metrics(plain, validation),
            "reranked": _metrics(reranked, validation),
        }
        rows.append(row)
        _say(str(row))
    return {"split": f"nested: 20% of each user's training rows (seed {seed})", "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("deepwalk", "rerank", "ranker"))
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "cache" / "recsys_dataset.pkl")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    dataset = load_dataset(args.cache)
    _say(f"dataset: {dataset.n_users} users, {dataset.n_items} items, {dataset.n_rows} rows")
    tuner = {"deepwalk": tune_deepwalk, "rerank": tune_rerank, "ranker": tune_ranker}[args.what]
    result = tuner(dataset, args.seed)
    out = ROOT / "var" / "bench" / f"recsys_tuning_{args.what}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    _say(f"written {out}")


if __name__ == "__main__":
    main()
