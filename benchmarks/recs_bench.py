"""Throughput and latency of the recommendation endpoints next to a trivial DRF endpoint.

Serves the site with gunicorn exactly as ``make run`` does (``gunicorn.conf.py``, settings
``local``, the dev database, port 8005 by default), then 8 concurrent keep-alive clients (``wrk``
when installed, else Python threads) load, in turn:

- ``GET /api/health/`` (the trivial endpoint: DRF, no database),
- ``GET /api/recommendations/`` as 12 logged-in site users whose collections are copies of
  data-set users' lists,
- ``GET /api/anime/<id>/similar/`` over the 300 anime with the most interactions.

After a warm-up, ``--rounds`` rounds of all three in turn; the table shows the medians of the
rounds (each round's ratio is against that round's trivial endpoint). Runs twice: as deployed
("cached": an answer is reused while the model, the request and the user's state are unchanged)
and with the answer caches off ("uncached": every request runs the model). Writes
``var/bench/recs.json``. Needs a trained, promoted model (``manage.py train_recsys``).

Usage: ``.venv/bin/python benchmarks/recs_bench.py [--seconds 8] [--rounds 3] [--clients 8]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
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
BENCH_USERS = 12


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
    from activity.models import Source
    from favorites.models import CollectionEntry

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
                    source=Source.SITE,
                )
                for e in CollectionEntry.objects.filter(user_id=source_id)
            )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
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


_WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
init = function(args)
  i = tonumber(args[1]) or 0
end
request = function()
  i = i + 1
  local p = paths[(i %% #paths) + 1]
  local headers = {}
  if p[2] ~= "" then headers["Cookie"] = p[2] end
  return wrk.format("GET", p[1], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\\"requests\\":%%d,\\"duration_us\\":%%d,\\"socket_errors\\":%%d,\\"non2xx\\":%%d,"
    .. "\\"p50_us\\":%%d,\\"p95_us\\":%%d,\\"p99_us\\":%%d,\\"mean_us\\":%%f}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_wrk(
    name: str, port: int, paths: list[tuple[str, str | None]], *, clients: int, seconds: float, work_dir: Path
) -> dict[str, float | int | str]:
    """The same load from ``wrk`` (C, event loop): ``clients`` keep-alive connections on 2 threads.

    Costs the server's machine far less CPU than Python client threads, so the figures are the
    server's. Latency percentiles are wrk's own.
    """
    entries = ", ".join(f"{{{_lua_string(path)}, {_lua_string(cookie or '')}}}" for path, cookie in paths)
    script = work_dir / f"wrk-{name}.lua"
    script.write_text(_WRK_SCRIPT % {"paths": entries})
    command = [
        "wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
        "-s", str(script), f"http://127.0.0.1:{port}", "--", str(random.randrange(len(paths))),
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    ok = raw["requests"] - raw["non2xx"]
    duration = raw["duration_us"] / 1e6
    return {
        "name": name,
        "requests": ok,
        "errors": raw["non2xx"] + raw["socket_errors"],
        "throughput_rps": round(ok / duration, 1) if duration else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
    }


# Loaded by gunicorn for the "uncached" run: the deployed settings, and every answer computed
# (per-item card caches stay).
_UNCACHED_CONFIG = """
import runpy

globals().update(
    {k: v for k, v in runpy.run_path(%(config)r).items() if not k.startswith("__")}
)


_deployed_post_worker_init = post_worker_init  # noqa: F821 (from the deployed settings)


def post_worker_init(worker):
    _deployed_post_worker_init(worker)
    from recsys.serving import recommendations, similar

    recommendations.RESULT_TTL_SECONDS = 0
    similar.RESULT_TTL_SECONDS = 0
"""

Paths = list[tuple[str, str | None]]
Row = dict[str, float | int | str]


def _measure(args: argparse.Namespace, name: str, paths: Paths, seconds: float) -> Row:
    if args.client == "wrk":
        return load_wrk(
            name, args.port, paths, clients=args.clients, seconds=seconds, work_dir=Path(args.out).parent
        )
    run = load(name, args.port, paths, clients=args.clients, seconds=seconds, max_requests=args.max_requests)
    if run.errors:
        print(f"  {name}: {run.errors} errors, statuses {run.statuses}")
    return run.summary()


def _median_row(name: str, rounds: list[Row]) -> Row:
    """Medians over the rounds; ``ratio_to_trivial`` is the median of each round's own ratio."""
    row: Row = {"name": name, "rounds": len(rounds)}
    for key in ("throughput_rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "ratio_to_trivial"):
        row[key] = round(statistics.median(float(r[key]) for r in rounds), 3)
    row["requests"] = sum(int(r["requests"]) for r in rounds)
    row["errors"] = sum(int(r["errors"]) for r in rounds)
    row["p99_ms_worst_round"] = max(float(r["p99_ms"]) for r in rounds)
    return row


def serve_and_measure(
    args: argparse.Namespace, *, config: Path, phases: list[tuple[str, Paths]]
) -> dict[str, Row]:
    """Serve with ``config``, warm up, then ``args.rounds`` rounds of every phase in turn.

    Interleaving the phases and taking medians keeps drift and the other jobs of a shared machine
    from landing on one endpoint only; each round's ratio is taken against that round's trivial
    endpoint.
    """
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "animesite.settings.local", "DJANGO_DEBUG": "0"}
    if args.workers:
        env["WEB_WORKERS"] = str(args.workers)
    if args.threads:
        env["WEB_THREADS"] = str(args.threads)
    server_cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "animesite.wsgi:application",
        "--config",
        str(config),
        "--bind",
        f"127.0.0.1:{args.port}",
        "--log-level",
        "warning",
    ]
    print("serving:", " ".join(server_cmd[1:]))
    server = subprocess.Popen(server_cmd, cwd=ROOT, env=env, start_new_session=True)
    rounds: dict[str, list[Row]] = {name: [] for name, _ in phases}
    try:
        wait_until_up(args.port)
        # Every worker loads the model (seconds) and fills its caches; then a short burst per
        # endpoint from the measuring client.
        for name, paths in phases:
            warm = load(f"warm-{name}", args.port, paths, clients=args.clients, seconds=20, max_requests=600)
            print(f"  warm-up {name}: {len(warm.latencies)} ok, {warm.errors} errors")
            _measure(args, f"warm-{name}", paths, 3.0)
        for i in range(args.rounds):
            for name, paths in phases:
                rounds[name].append(_measure(args, name, paths, args.seconds))
            trivial = float(rounds["health"][-1]["throughput_rps"]) or 1.0
            for name in rounds:
                row = rounds[name][-1]
                row["ratio_to_trivial"] = round(float(row["throughput_rps"]) / trivial, 3)
            print(
                f"  round {i + 1}/{args.rounds}: "
                + ", ".join(
                    f"{n} {r[-1]['throughput_rps']} req/s p99 {r[-1]['p99_ms']} ms" for n, r in rounds.items()
                )
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {name: _median_row(name, rows) for name, rows in rounds.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8005)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator: wrk (apt-get install wrk; the default when present) or Python threads",
    )
    parser.add_argument("--workers", type=int, default=0, help="override gunicorn.conf.py (WEB_WORKERS)")
    parser.add_argument("--threads", type=int, default=0, help="override gunicorn.conf.py (WEB_THREADS)")
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
    deployed_config = ROOT / "gunicorn.conf.py"
    uncached_config.write_text(_UNCACHED_CONFIG % {"config": str(deployed_config)})

    modes = {
        "cached": serve_and_measure(args, config=deployed_config, phases=phases),
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
                "client": args.client,
                "users": len(cookies),
                "seconds_per_endpoint_and_round": args.seconds,
                "rounds": args.rounds,
                "server": {
                    "config": "gunicorn.conf.py",
                    "workers": args.workers or "default (one per core)",
                    "threads": args.threads or "default (4)",
                },
                "cpus": os.cpu_count(),
                "load_average_after": os.getloadavg(),
                "modes": {
                    "cached": "as deployed: per-process reuse of answers while the model, the request and "
                    "the user's state token are unchanged (60 s at most)",
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
