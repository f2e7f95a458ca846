"""Speed of a trained version folder: load time, ``recommend`` and ``similar`` latency, in-process.

Usage::

    .venv/bin/python benchmarks/recsys_eval_bundle.py [VERSION_DIR] [--users 500] [--k 20]

Without ``VERSION_DIR`` the newest folder under ``MODELS_DIR`` with a ``model/`` is used.
Histories are real users' collections read from the database (``favorites.CollectionEntry``).
Prints p50 / p95 / p99 in milliseconds and writes ``var/bench/recsys_eval_bundle.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "animesite.settings.local")


def _percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p95_ms": round(float(np.percentile(arr, 95)), 3),
        "p99_ms": round(float(np.percentile(arr, 99)), 3),
        "mean_ms": round(float(arr.mean()), 3),
    }


def main() -> None:
    import django

    django.setup()
    from django.conf import settings

    from favorites.models import CollectionEntry
    from recsys.pipeline.bundle import load_bundle
    from recsys.pipeline.contract import HistoryItem

    parser = argparse.ArgumentParser()
    parser.add_argument("version_dir", nargs="?", type=Path)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    path = args.version_dir
    if path is None:
        candidates = sorted(p for p in Path(settings.MODELS_DIR).glob("*") if (p / "model").is_dir())
        if not candidates:
            raise SystemExit(f"no trained version under {settings.MODELS_DIR}")
        path = candidates[-1]

    start = time.perf_counter()
    bundle = load_bundle(path)
    load_s = time.perf_counter() - start

    rng = np.random.default_rng(args.seed)
    user_ids = sorted(set(CollectionEntry.objects.values_list("user_id", flat=True)))
    chosen = rng.choice(user_ids, size=min(args.users, len(user_ids)), replace=False).tolist()
    histories: dict[int, list[HistoryItem]] = {u: [] for u in chosen}
    for user_id, anime_id, score, fav in CollectionEntry.objects.filter(user_id__in=chosen).values_list(
        "user_id", "anime_id", "score", "is_favorite"
    ):
        histories[user_id].append(HistoryItem(anime_id=anime_id, score=score, is_favorite=fav))

    for history in list(histories.values())[:20]:  # warm the page cache and the BLAS libraries
        bundle.recommend(history=history, user_vector=None, exclude=set(), k=args.k)

    vector_s, recommend_s, recommend_vec_s, similar_s = [], [], [], []
    lengths = []
    for history in histories.values():
        t0 = time.perf_counter()
        vector = bundle.user_vector(history)
        t1 = time.perf_counter()
        bundle.recommend(history=history, user_vector=None, exclude=set(), k=args.k)
        t2 = time.perf_counter()
        bundle.recommend(history=history, user_vector=vector, exclude=set(), k=args.k)
        t3 = time.perf_counter()
        vector_s.append(t1 - t0)
        recommend_s.append(t2 - t1)
        recommend_vec_s.append(t3 - t2)
        lengths.append(len(history))
    items = list(bundle.item_ids)
    for anime_id in rng.choice(items, size=min(500, len(items)), replace=False).tolist():
        t0 = time.perf_counter()
        bundle.similar(int(anime_id), 12)
        similar_s.append(time.perf_counter() - t0)

    result = {
        "version_dir": str(path),
        "load_s": round(load_s, 4),
        "users": len(histories),
        "mean_history": round(float(np.mean(lengths)), 1),
        "k": args.k,
        "user_vector": _percentiles(vector_s),
        "recommend": _percentiles(recommend_s),
        "recommend_with_vector": _percentiles(recommend_vec_s),
        "similar": _percentiles(similar_s),
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "recsys_eval_bundle.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
