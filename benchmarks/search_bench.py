"""Latency of /api/search/ and /api/search/suggest/ as users typing see it, with the engine's share.

Usage (the site served as ``make run`` serves it, on the real catalogue's index)::

    DJANGO_SETTINGS_MODULE=animesite.settings.local .venv/bin/gunicorn animesite.wsgi:application \\
        -c gunicorn.conf.py --bind 127.0.0.1:8003
    .venv/bin/python benchmarks/search_bench.py --base-url http://127.0.0.1:8003 --clients 1,8

Each client types every query of a fixed list (every script, typos, prefixes, joined words) one
character at a time, asking for suggestions at each keystroke from the second character, then
searches it (some searches with filters, one with filters only: 159 suggestions and 22 searches a
round). One phase per number of clients,
the clients typing concurrently. For every request the endpoint reports its wait for the search
engine in a ``Server-Timing`` header: ``engine`` is that share, ``own`` the rest of the time the
client waited (HTTP, validation, the autocomplete index, MySQL cards, highlights, JSON). Prints
p50 / p95 per endpoint and phase, the number of degraded answers, and writes
``var/bench/search.json``. Search answers are cached per catalogue generation: serve with
``SEARCH_CACHE_SECONDS=0`` to make every search ask the engine, and with
``SEARCH_TITLE_STAGE=false`` to have the engine match titles itself (the body before the title
stage, ``catalog/search/README.md``) for a before/after comparison.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "animesite.settings.local")

import django  # noqa: E402

django.setup()

from catalog.documents import anime_alias  # noqa: E402
from catalog.search.client import search_client  # noqa: E402

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


def typing_session(text: str, params: dict[str, str] | None = None) -> list[tuple[str, dict[str, str]]]:
    """What a user sends while typing ``text``: one suggestion request per keystroke from the
    second character, then the search (with ``params``' filters)."""
    steps: list[tuple[str, dict[str, str]]] = [
        ("/api/search/suggest/", {"q": text[:n]}) for n in range(2 if len(text) > 1 else 1, len(text) + 1)
    ]
    steps.append(("/api/search/", {"q": text, **(params or {})}))
    return steps


SESSIONS: list[list[tuple[str, dict[str, str]]]] = [
    *(typing_session(q) for q in SUGGESTS),
    *(typing_session(p["q"], {k: v for k, v in p.items() if k != "q"}) for p in SEARCHES if p.get("q")),
    [("/api/search/", p) for p in SEARCHES if not p.get("q")],
]


def run_client(
    base_url: str, sessions: list[list[tuple[str, dict[str, str]]]], out: list[dict[str, Any]]
) -> None:
    for session in sessions:
        for path, params in session:
            try:
                ms, body, timing = http_get(base_url, path, params)
            except Exception as exc:  # a failed request is a result too
                out.append({"kind": kind_of(path), "ms": float("nan"), "error": repr(exc)})
                continue
            out.append(
                {
                    "kind": kind_of(path),
                    "ms": ms,
                    "engine_ms": timing.get("engine", 0.0),
                    "view_ms": timing.get("view", ms),
                    "degraded": bool(body.get("degraded")),
                }
            )


def kind_of(path: str) -> str:
    return "suggest" if "suggest" in path else "search"


def phase(base_url: str, clients: int, rounds: int) -> dict[str, Any]:
    """``clients`` threads, each typing every session ``rounds`` times (each client starts at a
    different session so they do not move in step)."""
    import threading

    records: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    threads = []
    for c in range(clients):
        order = SESSIONS[c % len(SESSIONS) :] + SESSIONS[: c % len(SESSIONS)]
        threads.append(
            threading.Thread(target=run_client, args=(base_url, order * rounds, records[c]), daemon=True)
        )
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    flat = [r for rs in records for r in rs]
    out: dict[str, Any] = {"clients": clients, "wall_s": round(wall, 1)}
    for kind in ("suggest", "search"):
        rows = [r for r in flat if r["kind"] == kind and "error" not in r]
        out[kind] = {
            "total": summary([r["ms"] for r in rows]),
            "engine": summary([r["engine_ms"] for r in rows]),
            "own": summary([r["ms"] - r["engine_ms"] for r in rows]),
            "degraded": sum(r["degraded"] for r in rows),
            "errors": sum(1 for r in flat if r["kind"] == kind and "error" in r),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8003")
    parser.add_argument("--rounds", type=int, default=2, help="Times each client types every session.")
    parser.add_argument("--clients", default="1,8", help="Comma-separated numbers of concurrent clients.")
    parser.add_argument("--label", default="", help="Free text stored with the figures (server settings).")
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "search.json"))
    args = parser.parse_args()
    base_url = args.base_url.rstrip("/")

    # Warm-up: one pass, not recorded (connections, the server's autocomplete index).
    run_client(base_url, SESSIONS[:3], [])
    phases = [phase(base_url, int(n), args.rounds) for n in args.clients.split(",")]
    client = search_client().options(request_timeout=60)
    try:
        info = dict(client.info())
        documents = client.count(index=anime_alias())["count"]
    except Exception as exc:  # the figures above stand without the server's description
        info, documents = {"name": repr(exc)}, None
    result = {
        "at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "label": args.label,
        "base_url": base_url,
        "rounds": args.rounds,
        "requests_per_round": {
            kind: sum(kind_of(path) == kind for session in SESSIONS for path, _params in session)
            for kind in ("suggest", "search")
        },
        "search_server": {
            "name": info.get("name"),
            "version": (info.get("version") or {}).get("number"),
            "documents": documents,
        },
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
        "phases": phases,
    }
    print(f"\nsearch server: {result['search_server']}, load average {result['machine']['load_average']}")
    print(
        f"{'clients':>7s} {'endpoint':8s} {'n':>5s} {'p50':>7s} {'p95':>7s}"
        f" {'engine p50':>11s} {'engine p95':>11s}"
        f" {'own p50':>8s} {'own p95':>8s} {'degraded':>9s}"
    )
    for ph in phases:
        for kind in ("suggest", "search"):
            k = ph[kind]
            print(
                f"{ph['clients']:>7d} {kind:8s} {k['total'].get('n', 0):>5d}"
                f" {k['total'].get('p50_ms', 0):>7.0f}"
                f" {k['total'].get('p95_ms', 0):>7.0f} {k['engine'].get('p50_ms', 0):>11.0f}"
                f" {k['engine'].get('p95_ms', 0):>11.0f} {k['own'].get('p50_ms', 0):>8.0f}"
                f" {k['own'].get('p95_ms', 0):>8.0f} {k['degraded']:>9d}"
            )
    print("ms; engine = the endpoint's wait for the search engine (Server-Timing), own = the rest")
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
