"""Throughput and latency of the recommendation endpoints next to a trivial DRF endpoint.

Serves the site with gunicorn (settings ``local``, the dev database, port 8005 by default), then
runs 8 concurrent keep-alive clients against, in turn:

- ``GET /api/health/`` (the trivial endpoint: DRF, no database),
- ``GET /api/recommendations/`` as several logged-in site users whose collections are copies of
  data-set users' lists,
- ``GET /api/anime/<id>/similar/`` over anime the active model knows.

Runs twice: as deployed ("cached": unchanged answers are reused per process) and with the answer
caches off ("uncached": every request runs the model). Prints requests/s, the ratio to the
trivial endpoint of the same server and p50/p95/p99, and writes ``var/bench/recs.json``.
Needs a trained, promoted model (``manage.py train_recsys``).

Usage: ``.venv/bin/python benchmarks/recs_bench.py [--seconds 15] [--clients 8] [--port 8005]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "animesite.settings.local")

TARGETS = {
    "recommendations": {"min_ratio": 0.5, "max_p99_ms": 50.0},
    "similar": {"min_ratio": 0.8, "max_p99_ms": 20.0},
}
BENCH_USERS = 6


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, float | int | str]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

        return {
            "name": self.name,
            "requests": len(lat),
            "errors": self.errors,
            "throughput_rps": round(len(lat) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(pct(0.50), 2),
            "p95_ms": round(pct(0.95), 2),
            "p99_ms": round(pct(0.99), 2),
            "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else float("nan"),
        }


def _django_setup() -> None:
    import django

    django.setup()


def bench_users() -> list[str]:
    """Site users with collections copied from data-set users; returns their session cookies."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from accounts.models import User
    from favorites.models import CollectionEntry, EntrySource

    sources = list(
        User.objects.filter(source=User.Source.DATASET)
        .annotate(n=Count("collection"))
        .filter(n__gte=30, n__lte=300)
        .order_by("id")
        .values_list("id", flat=True)[: BENCH_USERS * 20 : 20]
    )
    if not sources:
        raise SystemExit("no data-set users with a collection: load the data first (make run)")
    cookies = []
    for i, source_id in enumerate(sources):
        user, _ = User.objects.get_or_create(
            username=f"bench-recs-{i}", defaults={"source": User.Source.SITE}
        )
        source_count = CollectionEntry.objects.filter(user_id=source_id).count()
        # Kept between runs, so the vectors promoted for them stay valid.
        if CollectionEntry.objects.filter(user=user).count() != source_count:
            CollectionEntry.objects.filter(user=user).delete()
            CollectionEntry.objects.bulk_create(
                CollectionEntry(
                    user=user,
                    anime_id=e.anime_id,
                    score=e.score,
                    is_favorite=e.is_favorite,
                    status=e.status,
                    source=EntrySource.SITE,
                )
                for e in CollectionEntry.objects.filter(user_id=source_id)
            )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


def similar_ids(limit: int = 300) -> list[int]:
    """Visible anime with the most interactions (the ones the model has vectors for)."""
    from django.db.models import Count

    from catalog.models import Anime

    return list(
        Anime.objects.visible()
        .annotate(n=Count("interactions"))
        .filter(n__gte=20)
        .order_by("-n")
        .values_list("id", flat=True)[:limit]
    )


def active_version() -> str | None:
    from recsys.serving.store import active_version_read

    return active_version_read()


def wait_until_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server on port {port} did not answer within {timeout:.0f}s")


def load(
    name: str,
    port: int,
    paths: list[tuple[str, str | None]],
    *,
    clients: int,
    seconds: float,
    max_requests: int,
) -> Run:
    """``clients`` threads, each with one keep-alive connection, cycling through ``paths``."""
    run = Run(name)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    budget = [max_requests]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local: list[float] = []
        errors = 0
        statuses: dict[int, int] = {}
        while time.monotonic() < stop_at:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            path, cookie = paths[rng.randrange(len(paths))]
            headers = {"Connection": "keep-alive"}
            if cookie:
                headers["Cookie"] = cookie
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                elapsed = time.perf_counter() - started
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == 200:
                    local.append(elapsed)
                else:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.close()
        with lock:
            run.latencies.extend(local)
            run.errors += errors
            for status, n in statuses.items():
                run.statuses[status] = run.statuses.get(status, 0) + n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.perf_counter() - started
    return run


# Loaded by gunicorn for the "uncached" run: every answer is computed (per-item card caches stay).
_UNCACHED_CONFIG = """
def post_worker_init(worker):
    from recsys.serving import recommendations, similar

    recommendations.RESULT_TTL_SECONDS = 0
    similar.RESULT_TTL_SECONDS = 0
"""

Paths = list[tuple[str, str | None]]


def serve_and_measure(
    args: argparse.Namespace, *, config: Path | None, phases: list[tuple[str, Paths]]
) -> dict[str, dict[str, float | int | str]]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "animesite.settings.local", "DJANGO_DEBUG": "0"}
    server_cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "animesite.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(args.threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    if config is not None:
        server_cmd += ["--config", str(config)]
    print("serving:", " ".join(server_cmd[1:]))
    server = subprocess.Popen(server_cmd, cwd=ROOT, env=env, start_new_session=True)
    results: dict[str, dict[str, float | int | str]] = {}
    try:
        wait_until_up(args.port)
        # Warm every worker: model load (seconds), caches, database connections.
        for name, paths in phases:
            warm = load(f"warm-{name}", args.port, paths, clients=args.clients, seconds=20, max_requests=600)
            print(f"  warm-up {name}: {len(warm.latencies)} ok, {warm.errors} errors")
        for name, paths in phases:
            run = load(
                name,
                args.port,
                paths,
                clients=args.clients,
                seconds=args.seconds,
                max_requests=args.max_requests,
            )
            results[name] = run.summary()
            if run.errors:
                print(f"  {name}: {run.errors} errors, statuses {run.statuses}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    trivial = float(results["health"]["throughput_rps"]) or 1.0
    for row in results.values():
        row["ratio_to_trivial"] = round(float(row["throughput_rps"]) / trivial, 3)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8005)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "recs.json"))
    args = parser.parse_args()

    _django_setup()
    version = active_version()
    if version is None:
        print("no active model version: run `manage.py train_recsys` first", file=sys.stderr)
        return 2
    print(f"active model version: {version}")
    cookies = bench_users()
    anime_ids = similar_ids()
    print(f"{len(cookies)} logged-in users (collections copied from data-set users), {len(anime_ids)} anime")
    phases: list[tuple[str, Paths]] = [
        ("health", [("/api/health/", None)]),
        ("recommendations", [("/api/recommendations/?limit=20", c) for c in cookies]),
        ("similar", [(f"/api/anime/{a}/similar/?limit=12", None) for a in anime_ids]),
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    uncached_config = out.parent / "gunicorn_uncached.py"
    uncached_config.write_text(_UNCACHED_CONFIG)

    modes = {
        "cached": serve_and_measure(args, config=None, phases=phases),
        "uncached": serve_and_measure(args, config=uncached_config, phases=phases),
    }

    print()
    print(
        f"{'mode':<9}{'endpoint':<17}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}  target"
    )
    verdicts: dict[str, bool] = {}
    for mode, results in modes.items():
        for name, row in results.items():
            target = TARGETS.get(name)
            verdict = ""
            if target:
                ok = (
                    float(row["ratio_to_trivial"]) >= target["min_ratio"]
                    and float(row["p99_ms"]) <= target["max_p99_ms"]
                    and not row["errors"]
                )
                verdicts[f"{mode}/{name}"] = ok
                verdict = f"{'PASS' if ok else 'MISS'} (>= {target['min_ratio']}x, "
                verdict += f"p99 <= {target['max_p99_ms']:.0f} ms)"
            print(
                f"{mode:<9}{name:<17}{row['throughput_rps']:>9}{row['ratio_to_trivial']:>8.2f}{row['p50_ms']:>9}"
                f"{row['p95_ms']:>9}{row['p99_ms']:>9}{row['errors']:>8}  {verdict}"
            )
    out.write_text(
        json.dumps(
            {
                "model_version": version,
                "clients": args.clients,
                "seconds_per_endpoint": args.seconds,
                "server": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
                "cpus": os.cpu_count(),
                "load_average_after": os.getloadavg(),
                "modes": {
                    "cached": "as deployed: per-process reuse of unchanged answers (30 s recs, 60 s similar)",
                    "uncached": "every answer computed (model, reasons); only per-anime card caches",
                },
                "results": modes,
                "targets": TARGETS,
                "passed": verdicts,
            },
            indent=2,
        )
    )
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
