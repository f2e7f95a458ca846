"""Train the MLP ranker on the CPU and, when one is present, on a CUDA device; print what differs.

Usage::

    python benchmarks/ranker_device_check.py [--users 4500] [--rows 300] [--features 38] [--out DIR]

The candidate groups are synthetic but shaped like the real ranker data (one group per user,
``--rows`` candidates of ``--features`` features, about 3 % positives whose probability follows a
fixed non-linear function of the features), so the check needs neither Django nor the data set.
For each device it prints the per-epoch losses, the training time, the chosen epoch and HR@10 (the
share of held-out validation users whose positive ranks in their top 10) of the trained network
scored with numpy, i.e. exactly as serving scores it; for CUDA it also prints the largest absolute
difference between the numpy scores and the network's own CUDA scores. A JSON summary goes to
``--out`` (default ``var/bench``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from recsys.pipeline.ranker import RankerParams
from recsys.pipeline.ranker_torch import ranker_net, train_ranker


def synthetic_groups(
    *, users: int, rows: int, features: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return ``users`` groups ``(features (rows, n_features) float32, labels (rows,) float32)``."""
    rng = np.random.default_rng(seed)
    w1 = rng.normal(size=(features, 16)).astype(np.float32)
    w2 = rng.normal(size=16).astype(np.float32)
    groups = []
    for _ in range(users):
        x = rng.normal(size=(rows, features)).astype(np.float32)
        logits = np.maximum(x @ w1, 0.0) @ w2 / 4.0 - 4.0
        y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        if y.sum() == 0:
            y[int(np.argmax(logits))] = 1.0
        groups.append((x, y))
    return groups


def hit_rate_at_10(ranker: object, groups: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Share of groups whose first positive ranks in the top 10 of the ranker's numpy scores."""
    hits = 0
    for x, y in groups:
        scores = ranker.score(x)  # type: ignore[attr-defined]
        top = np.argsort(-scores)[:10]
        hits += int(y[top].sum() > 0)
    return hits / max(1, len(groups))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=4500)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--features", type=int, default=38)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="var/bench")
    args = parser.parse_args()

    groups = synthetic_groups(users=args.users, rows=args.rows, features=args.features, seed=args.seed)
    held_out = synthetic_groups(users=500, rows=args.rows, features=args.features, seed=args.seed + 1)
    names = [f"f{i}" for i in range(args.features)]
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
        print(f"CUDA device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    else:
        print(f"no CUDA device (torch {torch.__version__}); CPU only")
    summary: dict[str, dict[str, object]] = {}
    for dev in devices:

        def report(line: str, name: str = dev.type) -> None:
            print(f"  [{name}] {line}", flush=True)

        start = time.perf_counter()
        ranker, history = train_ranker(
            groups,
            feature_names=names,
            seed=args.seed,
            params=RankerParams(),
            device=dev,
            progress=report,
        )
        seconds = time.perf_counter() - start
        row: dict[str, object] = {
            "device": history.device,
            "seconds": round(seconds, 2),
            "best_epoch": history.best_epoch,
            "validation_loss": [round(v, 4) for v in history.validation_loss],
            "hr_at_10_held_out": round(hit_rate_at_10(ranker, held_out), 4),
        }
        if dev.type == "cuda":
            x = held_out[0][0]
            net = ranker_net(ranker).to(dev)
            xt = torch.from_numpy((x - ranker.mean) / ranker.std).to(dev)
            with torch.no_grad():
                on_device = net(xt).float().cpu().numpy()
            gap = float(np.max(np.abs(ranker.score(x) - on_device)))
            row["max_abs_score_gap_numpy_vs_torch"] = gap
        summary[dev.type] = row
        print(json.dumps(row))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ranker_device_check.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
