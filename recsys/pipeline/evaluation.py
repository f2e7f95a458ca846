"""Offline evaluation: full ranking over every item, training items masked, one table for all models.

The split is :func:`recsys.pipeline.data.assign_parts` (random 80/20 per user, seeded). Every
model is fitted on the training part only (the pipeline's ranker on an inner fit/holdout split of
it) and ranks all items for each user with test items; the user's training items are removed
from the ranking. Metrics: :mod:`recsys.pipeline.metrics`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recsys.pipeline.metrics import ListMetrics, evaluate_lists

# recall@k is the standard recall (hits / held-out items); recall_norm@k divides by min(k, held-out).
METRIC_KEYS: tuple[str, ...] = (
    "recall@10",
    "recall@20",
    "ndcg@10",
    "ndcg@20",
    "coverage@20",
    "recall_norm@10",
    "recall_norm@20",
)
MODEL_ORDER: tuple[str, ...] = (
    "popularity",
    "itemknn",
    "ease",
    "ease_rerank",
    "edlae",
    "deepwalk",
    "pipeline",
)

ListFn = Callable[[sp.csr_matrix, int], tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]]
Progress = Callable[[str], None]


def score_lists(
    users: npt.NDArray[np.int64],
    lists: npt.NDArray[np.int64],
    test: sp.csr_matrix,
    *,
    ks: Sequence[int] = (10, 20),
) -> dict[str, float]:
    """:func:`recsys.pipeline.metrics.evaluate_lists` of lists against the users' test items."""
    te = test.tocsr()
    relevant = [te.indices[te.indptr[u] : te.indptr[u + 1]] for u in users.tolist()]
    return evaluate_lists(lists, relevant, n_items=te.shape[1], ks=ks)


def evaluate_streams(
    recommend: Callable[[sp.csr_matrix, int], Mapping[str, npt.NDArray[np.int64]]],
    train: sp.csr_matrix,
    test: sp.csr_matrix,
    *,
    ks: Sequence[int] = (10, 20),
    batch_users: int = 500,
    progress: Progress | None = None,
    label: str = "",
) -> dict[str, dict[str, float]]:
    """Metrics of one or more lists per user, streamed per batch of users.

    ``recommend(rows_of_train, k)`` returns named top-k lists for a batch of users (e.g. the
    pipeline with and without its re-rank); each name's metrics accumulate in a
    :class:`recsys.pipeline.metrics.ListMetrics`, so memory does not grow with the number of
    users (only one batch's lists and scores exist at a time).

    Returns
    -------
    dict
        Name -> :func:`recsys.pipeline.metrics.evaluate_lists` output plus ``seconds`` (the
        whole call).
    """
    start = time.perf_counter()
    tr = train.tocsr()
    te = test.tocsr()
    users = np.flatnonzero(np.diff(te.indptr) > 0)
    acc: dict[str, ListMetrics] = {}
    for b in range(0, users.size, batch_users):
        batch = users[b : b + batch_users]
        named = recommend(tr[batch], max(ks))
        relevant = [te.indices[te.indptr[u] : te.indptr[u + 1]] for u in batch.tolist()]
        for name, ids in named.items():
            acc.setdefault(name, ListMetrics(te.shape[1], ks)).update(ids, relevant)
        if progress is not None and users.size > batch_users:
            progress(f"evaluate {label}: {min(b + batch_users, users.size)}/{users.size} users")
    seconds = time.perf_counter() - start
    return {name: {**m.result(), "seconds": seconds} for name, m in acc.items()}


def evaluate_model(
    recommend: ListFn,
    train: sp.csr_matrix,
    test: sp.csr_matrix,
    *,
    ks: Sequence[int] = (10, 20),
    batch_users: int = 500,
    progress: Progress | None = None,
    label: str = "",
) -> dict[str, float]:
    """Metrics of one model: ``recommend(rows_of_train, k)`` for every user with test items,
    streamed per batch of users (:func:`evaluate_streams`).

    Parameters
    ----------
    recommend : callable
        ``(user_items_csr, k) -> (ids, scores)``, e.g. :meth:`Recommender.recommend`; it must never
        return an item of the given rows.
    train, test : scipy.sparse.csr_matrix
        Users x items training weights and test items.
    ks : sequence of int
        Cut-offs.
    batch_users : int
        Users per call.
    progress : callable, optional
        Progress lines.
    label : str
        Name used in progress lines.

    Returns
    -------
    dict
        :func:`recsys.pipeline.metrics.evaluate_lists` output plus ``seconds``.
    """
    out = evaluate_streams(
        lambda rows, k: {label: recommend(rows, k)[0]},
        train,
        test,
        ks=ks,
        batch_users=batch_users,
        progress=progress,
        label=label,
    )
    if label in out:
        return out[label]
    return {**ListMetrics(test.shape[1], ks).result(), "seconds": 0.0}


def format_table(metrics: Mapping[str, Mapping[str, float]], fmt: str = "lines") -> str:
    """The evaluation table as aligned text lines or CSV."""
    names = [m for m in MODEL_ORDER if m in metrics] + [m for m in metrics if m not in MODEL_ORDER]
    if fmt == "csv":
        rows = ["model," + ",".join(METRIC_KEYS)]
        rows += [f"{n}," + ",".join(f"{metrics[n].get(k, 0.0):.4f}" for k in METRIC_KEYS) for n in names]
        return "\n".join(rows)
    width = max(len(n) for n in names) if names else 5
    head = "model".ljust(width) + "  " + "  ".join(k.rjust(14) for k in METRIC_KEYS)
    rows = [head]
    rows += [
        n.ljust(width) + "  " + "  ".join(f"{metrics[n].get(k, 0.0):14.4f}" for k in METRIC_KEYS)
        for n in names
    ]
    return "\n".join(rows)


def write_evaluation(
    out_dir: Path,
    *,
    metrics: Mapping[str, Mapping[str, float]],
    extra: Mapping[str, Any] | None = None,
    stem: str = "evaluation",
) -> tuple[Path, Path]:
    """Write ``<stem>.json`` (metrics and context) and ``<stem>.png`` (grouped bar chart).

    Returns
    -------
    tuple of pathlib.Path
        The JSON and PNG paths.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{stem}.json"
    payload = {"metrics": metrics, **(dict(extra) if extra else {})}
    json_path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=float), encoding="utf-8")
    png_path = out_dir / f"{stem}.png"
    plot_metrics(metrics, png_path)
    return json_path, png_path


def plot_metrics(metrics: Mapping[str, Mapping[str, float]], path: Path) -> None:
    """Grouped bar chart: one group per metric, one bar per model (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [m for m in MODEL_ORDER if m in metrics] + [m for m in metrics if m not in MODEL_ORDER]
    fig, ax = plt.subplots(figsize=(13, 4.5), dpi=100)
    width = 0.8 / max(1, len(names))
    x = np.arange(len(METRIC_KEYS))
    for j, name in enumerate(names):
        values = [metrics[name].get(k, 0.0) for k in METRIC_KEYS]
        ax.bar(x + j * width - 0.4 + width / 2, values, width, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(METRIC_KEYS)
    ax.set_ylabel("score")
    ax.set_title("Offline evaluation (held-out 20% per user, full ranking)")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_loss_curve(history: Mapping[str, Any], path: Path) -> None:
    """The ranker's train / validation loss per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    train = list(history.get("train_loss", []))
    val = list(history.get("validation_loss", []))
    ax.plot(range(1, len(train) + 1), train, marker="o", label="train")
    ax.plot(range(1, len(val) + 1), val, marker="o", label="validation")
    best = int(history.get("best_epoch", -1))
    if best >= 0:
        ax.axvline(best + 1, color="grey", linestyle="--", label="kept")
    ax.set_xlabel("epoch")
    ax.set_ylabel("listwise loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
