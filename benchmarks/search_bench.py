"""Latency of /api/search/ and /api/search/suggest/ next to the search engine's own time.

Usage (the site served with the real catalogue indexed, e.g. gunicorn on port 8003)::

    SEARCH_TIMEOUT_SECONDS=30 DJANGO_SETTINGS_MODULE=animesite.settings.local \\
        .venv/bin/gunicorn animesite.wsgi:application --bind 127.0.0.1:8003 --workers 2
    .venv/bin/python benchmarks/search_bench.py --base-url http://127.0.0.1:8003 --rounds 5

For each query of a fixed list (every script, typos, prefixes, filters) it times, round after
round, the HTTP endpoint and the very request body the endpoint sends to the search server, sent
straight from here: the engine's own ``took`` and the client round trip. The endpoint reports its
wait for the engine in a ``Server-Timing`` header, so ``*_own_work`` is, request by request, the
endpoint's own work (HTTP, validation, the card query on MySQL, serialisation). Prints p50 / p95 /
mean in milliseconds and writes ``var/bench/search.json``. Serve with a generous
``SEARCH_TIMEOUT_SECONDS`` to time the search path rather than the database fallback; answers that
came back degraded are counted and reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "animesite.settings.local")

import django  # noqa: E402

django.setup()

from catalog.documents import anime_alias  # noqa: E402
from catalog.filters import CatalogFilter  # noqa: E402
from catalog.search.client import search_client  # noqa: E402
from catalog.search.queries import SearchQuery, search_body, suggest_body  # noqa: E402

SEARCHES: list[dict[str, str]] = [
    {"q": "Shingeki no Kyojin"},
    {"q": "attack on titan"},
    {"q": "進撃の巨人"},
    {"q": "进击的巨人"},
    {"q": "鬼滅之刃"},
    {"q": "atack on titan"},
    {"q": "fullmetal alchemist brotherhod"},
    {"q": "kimetsu"},
    {"q": "Sword Art Online II"},
    {"q": "Re:Zero"},
    {"q": "love", "type": "Movie"},
    {"genre": "action", "year": "2019"},
]
SUGGESTS = ["s", "shin", "shingeki no", "kimet", "atack on", "boku no her", "進", "进击", "鬼滅", "one p"]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "mean_ms": round(statistics.fmean(values), 2),
        "max_ms": round(max(values), 2),
    }


def server_timing(header: str | None) -> dict[str, float]:
    """``engine;dur=12.3, view;dur=20.1`` -> ``{"engine": 12.3, "view": 20.1}``."""
    timings: dict[str, float] = {}
    for part in (header or "").split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name and rest:
            timings[name] = float(rest)
    return timings


def http_get(
    base_url: str, path: str, params: dict[str, str]
) -> tuple[float, dict[str, Any], dict[str, float]]:
    url = f"{base_url}{path}?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.loads(response.read())
        timing = server_timing(response.headers.get("Server-Timing"))
    return (time.perf_counter() - started) * 1000, body, timing


def search_query(params: dict[str, str]) -> SearchQuery:
    """The query the endpoint builds for ``params`` (filters given by slug / exact value)."""

    def values(name: str) -> tuple[str, ...]:
        return tuple(v for v in params.get(name, "").split(",") if v)

    return SearchQuery(
        q=params.get("q", ""),
        filters=CatalogFilter(
            genres=values("genre"),
            types=values("type"),
            years=tuple(int(y) for y in values("year")),
            seasons=values("season"),
        ),
    )


def engine(body: dict[str, Any]) -> tuple[float, float]:
    client = search_client().options(request_timeout=120)
    started = time.perf_counter()
    response = client.search(index=anime_alias(), **body)
    return (time.perf_counter() - started) * 1000, float(response.get("took") or 0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8003")
    parser.add_argument(
        "--rounds", type=int, default=5, help="Timed rounds over the query list (after one warm-up)."
    )
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "search.json"))
    args = parser.parse_args()
    base_url = args.base_url.rstrip("/")

    timings: dict[str, list[float]] = {
        name: []
        for name in (
            "api_search",
            "api_search_own_work",
            "engine_search_roundtrip",
            "engine_search_took",
            "api_suggest",
            "api_suggest_own_work",
            "engine_suggest_roundtrip",
            "engine_suggest_took",
        )
    }
    degraded = {"search": 0, "suggest": 0}
    per_query: dict[str, dict[str, list[float]]] = {}
    steps = (args.rounds + 1) * (len(SEARCHES) + len(SUGGESTS))
    with tqdm(total=steps, desc="search bench", unit="query") as bar:
        for round_no in range(args.rounds + 1):
            record = round_no > 0  # the first round warms caches and connections
            for params in SEARCHES:
                api_ms, body, timing = http_get(base_url, "/api/search/", params)
                rt_ms, took_ms = engine(search_body(search_query(params)))
                if record:
                    timings["api_search"].append(api_ms)
                    timings["api_search_own_work"].append(api_ms - timing.get("engine", 0.0))
                    timings["engine_search_roundtrip"].append(rt_ms)
                    timings["engine_search_took"].append(took_ms)
                    degraded["search"] += bool(body.get("degraded"))
                    key = "search " + urllib.parse.urlencode(params)
                    per_query.setdefault(key, {"api": [], "engine": []})
                    per_query[key]["api"].append(api_ms)
                    per_query[key]["engine"].append(rt_ms)
                bar.update(1)
            for q in SUGGESTS:
                api_ms, body, timing = http_get(base_url, "/api/search/suggest/", {"q": q})
                rt_ms, took_ms = engine(suggest_body(q))
                if record:
                    timings["api_suggest"].append(api_ms)
                    timings["api_suggest_own_work"].append(api_ms - timing.get("engine", 0.0))
                    timings["engine_suggest_roundtrip"].append(rt_ms)
                    timings["engine_suggest_took"].append(took_ms)
                    degraded["suggest"] += bool(body.get("degraded"))
                    key = f"suggest q={q}"
                    per_query.setdefault(key, {"api": [], "engine": []})
                    per_query[key]["api"].append(api_ms)
                    per_query[key]["engine"].append(rt_ms)
                bar.update(1)

    stats = {name: summary(values) for name, values in timings.items()}
    info = search_client().info()
    result = {
        "at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "base_url": base_url,
        "rounds": args.rounds,
        "search_server": {
            "name": info.get("name"),
            "version": (info.get("version") or {}).get("number"),
            "documents": search_client().count(index=anime_alias())["count"],
        },
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
        "stats": stats,
        "degraded_answers": degraded,
        "endpoint_minus_engine_p50_ms": {
            "search": round(stats["api_search"]["p50_ms"] - stats["engine_search_roundtrip"]["p50_ms"], 2),
            "suggest": round(stats["api_suggest"]["p50_ms"] - stats["engine_suggest_roundtrip"]["p50_ms"], 2),
        },
        "per_query_p50_ms": {
            key: {
                "api": round(statistics.median(v["api"]), 1),
                "engine": round(statistics.median(v["engine"]), 1),
            }
            for key, v in per_query.items()
        },
    }

    print(f"\nsearch server: {result['search_server']}, load average {result['machine']['load_average']}")
    print(f"{'':28s}{'p50 ms':>10s}{'p95 ms':>10s}{'mean ms':>10s}{'n':>6s}")
    for name, s in stats.items():
        row = [s.get("p50_ms", 0), s.get("p95_ms", 0), s.get("mean_ms", 0)]
        print(f"{name:28s}" + "".join(f"{v:>10.1f}" for v in row) + f"{s['n']:>6d}")
    print(f"p50 endpoint minus p50 engine round trip: {result['endpoint_minus_engine_p50_ms']}")
    print("*_own_work: each request's time minus its own wait for the engine (Server-Timing)")
    print(f"degraded answers: {degraded}")
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
