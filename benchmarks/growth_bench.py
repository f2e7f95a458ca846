"""Growth benchmark: training + evaluation at 1x / 3x / 10x users built from the real data.

    nice -n 5 .venv/bin/python benchmarks/growth_bench.py [--sizes 1,3,10] [--seed 0] [--no-spark]
        [--data ../shared/data/anime/cooperunion_sample] [--out var/bench]

The users are the 5,000 real MyAnimeList users of the CooperUnion sample (``anime_history.dat``,
scores from ``anime_ratings.dat``, item metadata from ``anime_info.dat``): 1x is exactly them.
Every further copy adds one synthetic user per real user (seeded): the real user's list with
each entry kept with probability 0.8 (its score kept too) and each dropped entry replaced by an
item drawn from the real item popularity (unscored). List lengths, the item distribution and
the taste structure therefore stay those of the real data.

Each size runs in its own subprocess (``--worker``) so that its peak memory is measured cleanly:
the worker's own peak resident set (``getrusage(RUSAGE_SELF).ru_maxrss``) and, sampled every
0.5 s from ``/proc`` by the parent, the peak summed RSS of the worker and its children (the Spark
JVM). The work is :func:`recsys.pipeline.train.run_evaluation`: split, Spark item graph, EASE
tuning, channels, ranker data and training, channel refit, evaluation of every model.

Prints and writes ``growth.json`` (per size: users, rows, wall seconds, per-stage seconds, peak
RSS in MB, metrics) and ``growth.png`` (wall and peak RSS against users, log-log) under ``--out``.
The growth exponent is the least-squares slope of ``log(wall)`` (and ``log(peak RSS)``) against
``log(users)``, over all sizes and over the last two. Results are written after every size, so a
run cut short keeps what it measured; ``--plot-only`` redraws from the JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT.parent.parent / "shared" / "data" / "anime" / "cooperunion_sample"
KEEP_PROBABILITY = 0.8


def _data_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    for candidate in (ROOT.parent / "shared" / "data" / "anime" / "cooperunion_sample", DEFAULT_DATA):
        if candidate.is_dir():
            return candidate
    return Path("/work/shared/data/anime/cooperunion_sample")


def build_dataset(data_dir: Path, scale: int, seed: int) -> Any:
    """The real users plus ``scale - 1`` perturbed copies of each (see the module docstring)."""
    import numpy as np
    import pandas as pd

    from recsys.pipeline.data import Dataset, ItemTable

    history = pd.read_csv(data_dir / "anime_history.dat", sep="\t")
    ratings = pd.read_csv(data_dir / "anime_ratings.dat", sep="\t")
    info = pd.read_csv(data_dir / "anime_info.dat", sep="\t")
    rows = history.merge(
        ratings.rename(columns={"Feedback": "score"}), on=["User_ID", "Anime_ID"], how="left"
    )
    frame = pd.DataFrame(
        {
            "anime_id": info["anime_ids"].astype(np.int64),
            "title": info["name"].astype(str),
            "type": info["type"].fillna("").astype(str),
            "year": np.nan,
            "aired_from": None,
            "score": pd.to_numeric(info["rating"], errors="coerce"),
            "members": pd.to_numeric(info["members"], errors="coerce").fillna(0),
            "genres": [
                [g.strip() for g in str(v).split(",")] if isinstance(v, str) else [] for v in info["genre"]
            ],
        }
    )
    items = ItemTable.from_frame(frame)
    index = {int(a): i for i, a in enumerate(items.anime_ids.tolist())}
    known = rows["Anime_ID"].isin(list(index))
    rows = rows[known]
    real_users, user = np.unique(rows["User_ID"].to_numpy(dtype=np.int64), return_inverse=True)
    item = np.array([index[int(a)] for a in rows["Anime_ID"]], dtype=np.int64)
    score = rows["score"].to_numpy(dtype=np.float32)
    n_real, n_items = real_users.size, len(items)
    popularity = np.bincount(item, minlength=n_items).astype(np.float64)
    popularity /= popularity.sum()
    rng = np.random.default_rng(seed)
    users, picked, scores = [user.astype(np.int64)], [item], [score]
    for copy in range(1, scale):
        keep = rng.random(item.size) < KEEP_PROBABILITY
        replaced = rng.choice(n_items, size=int((~keep).sum()), p=popularity)
        new_item = item.copy()
        new_item[~keep] = replaced
        new_score = np.where(keep, score, np.nan).astype(np.float32)
        new_user = user.astype(np.int64) + copy * n_real
        # One row per (user, item): a replacement that repeats a kept item is dropped.
        pair = new_user * n_items + new_item
        order = np.lexsort((~keep, pair))  # kept rows first within a pair
        first = order[np.r_[True, np.diff(pair[order]) != 0]]
        first.sort()
        users.append(new_user[first])
        picked.append(new_item[first])
        scores.append(new_score[first])
    u = np.concatenate(users)
    return Dataset(
        user_ids=np.arange(1, n_real * scale + 1, dtype=np.int64),
        items=items,
        user=u.astype(np.int32),
        item=np.concatenate(picked).astype(np.int32),
        score=np.concatenate(scores).astype(np.float32),
        favorite=np.zeros(u.size, dtype=bool),
        timestamp=np.full(u.size, np.nan),
    )


def worker(args: argparse.Namespace) -> None:
    """One size in this process: build, run_evaluation, write a JSON line to ``--result``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "animesite.settings.test")
    import django

    django.setup()
    from recsys.pipeline.train import run_evaluation

    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{args.worker}x {time.perf_counter() - started:7.1f}s] {message}", flush=True)

    build_start = time.perf_counter()
    dataset = build_dataset(_data_dir(args.data), args.worker, args.seed)
    timings: dict[str, float] = {"build": round(time.perf_counter() - build_start, 3)}
    progress(f"{dataset.n_users} users, {dataset.n_items} items, {dataset.n_rows} rows")
    with tempfile.TemporaryDirectory(prefix="growth-bench-") as work:
        result = run_evaluation(
            dataset,
            progress=progress,
            seed=42,
            spark_master=None if args.no_spark else "local[2]",
            work_dir=Path(work),
            timings=timings,
        )
    wall = time.perf_counter() - started
    out = {
        "scale": args.worker,
        "users": dataset.n_users,
        "rows": dataset.n_rows,
        "items": dataset.n_items,
        "wall_s": round(wall, 1),
        "stages_s": timings,
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "metrics": {
            name: {k: round(float(v), 4) for k, v in m.items() if k in {"recall@20", "ndcg@20"}}
            for name, m in result.metrics.items()
        },
    }
    Path(args.result).write_text(json.dumps(out), encoding="utf-8")


def _tree_rss_mb(root: int) -> float:
    """Summed VmRSS of ``root`` and its descendants, from /proc (MB)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                stat = fh.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm", encoding="utf-8") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents[int(entry)] = ppid
        rss[int(entry)] = pages
    members = {root}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in members and pid not in members:
                members.add(pid)
                grew = True
    page_mb = os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    return sum(rss.get(pid, 0) for pid in members) * page_mb


def run_size(scale: int, args: argparse.Namespace) -> dict[str, Any]:
    """Run one size in a subprocess; its result plus the sampled peak tree RSS."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        result_path = fh.name
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(scale), "--result", result_path]
    cmd += ["--seed", str(args.seed)] + (["--no-spark"] if args.no_spark else [])
    cmd += ["--data", str(_data_dir(args.data))]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            peak[0] = max(peak[0], _tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    done.set()
    sampler.join()
    if code != 0:
        return {
            "scale": scale,
            "failed": f"exit status {code}",
            "wall_s": round(time.perf_counter() - started, 1),
        }
    out: dict[str, Any] = json.loads(Path(result_path).read_text(encoding="utf-8"))
    os.unlink(result_path)
    out["process_wall_s"] = round(time.perf_counter() - started, 1)
    out["load_average_after"] = [round(v, 1) for v in os.getloadavg()]  # the machine is shared
    out["tree_peak_rss_mb"] = round(peak[0], 1)
    return out


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log(y) on log(x); None with fewer than two points."""
    if len(xs) < 2:
        return None
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / den if den else None


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    ok = sorted((r for r in results if "failed" not in r), key=lambda r: r["users"])
    users = [float(r["users"]) for r in ok]
    wall = [float(r["wall_s"]) for r in ok]
    rss = [float(r["worker_peak_rss_mb"]) for r in ok]
    return {
        "wall_exponent": slope(users, wall),
        "wall_exponent_last_two": slope(users[-2:], wall[-2:]),
        "rss_exponent": slope(users, rss),
        "rss_exponent_last_two": slope(users[-2:], rss[-2:]),
    }


def print_table(results: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    print("| users | rows | wall (s) | largest stages (s) | peak RSS, training | peak RSS, with Spark |")
    print("|---|---|---|---|---|---|")
    for r in sorted(results, key=lambda r: r.get("users", 0)):
        if "failed" in r:
            print(f"| {r['scale']}x | | failed: {r['failed']} after {r['wall_s']} s | | | |")
            continue
        stages = sorted(((v, k) for k, v in r["stages_s"].items()), reverse=True)[:4]
        text = ", ".join(f"{k} {v:.0f}" for v, k in stages)
        print(
            f"| {r['users']:,} | {r['rows']:,} | {r['wall_s']:.0f} | {text} | "
            f"{r['worker_peak_rss_mb'] / 1024:.2f} GB | {r['tree_peak_rss_mb'] / 1024:.2f} GB |"
        )
    for key, value in extra.items():
        print(f"{key}: {'n/a' if value is None else f'{value:.2f}'}")


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = sorted((r for r in results if "failed" not in r), key=lambda r: r["users"])
    if not ok:
        return
    users = [r["users"] for r in ok]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
    ax1.loglog(users, [r["wall_s"] for r in ok], marker="o", label="total")
    names = sorted({k for r in ok for k in r["stages_s"]}, key=lambda k: -ok[-1]["stages_s"].get(k, 0))[:5]
    for name in names:
        ax1.loglog(
            users, [max(r["stages_s"].get(name, 0.0), 0.1) for r in ok], marker=".", ls="--", label=name
        )
    base = ok[0]
    ax1.loglog(
        users, [base["wall_s"] * u / base["users"] for u in users], color="grey", lw=0.8, label="linear"
    )
    ax1.set_xlabel("users")
    ax1.set_ylabel("seconds")
    ax1.set_title("train + evaluate: wall time")
    ax1.legend(fontsize=7)
    ax2.plot(users, [r["worker_peak_rss_mb"] / 1024 for r in ok], marker="o", label="training process")
    ax2.plot(users, [r["tree_peak_rss_mb"] / 1024 for r in ok], marker="o", label="with Spark JVM")
    ax2.axhline(4.0, color="red", lw=0.8, ls=":", label="4 GB target")
    ax2.set_xlabel("users")
    ax2.set_ylabel("peak RSS (GB)")
    ax2.set_title("peak memory")
    ax2.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1,3,10", help="comma-separated multiples of the real users")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic users")
    parser.add_argument("--data", default=None, help="folder of the CooperUnion sample")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench"), help="output folder")
    parser.add_argument("--no-spark", action="store_true", help="build the item graph with numpy")
    parser.add_argument("--plot-only", action="store_true", help="redraw growth.png from growth.json")
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--result", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out_dir / "growth.json", out_dir / "growth.png"
    if args.plot_only:
        payload = json.loads(json_path.read_text(encoding="utf-8"))
        payload["growth"] = summary(payload["sizes"])
        json_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        plot(payload["sizes"], png_path)
        print_table(payload["sizes"], payload["growth"])
        return
    results: list[dict[str, Any]] = []
    for scale in (int(s) for s in args.sizes.split(",")):
        print(f"=== {scale}x: started at {time.strftime('%H:%M:%S')}", flush=True)
        results.append(run_size(scale, args))
        payload = {
            "seed": args.seed,
            "spark": not args.no_spark,
            "cpus": os.cpu_count(),
            "sizes": results,
            "growth": summary(results),
        }
        json_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        plot(results, png_path)
        print_table(results, payload["growth"])
        sys.stdout.flush()
    print(f"wrote {json_path} and {png_path}")


if __name__ == "__main__":
    main()
