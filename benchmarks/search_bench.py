"""Latency of /api/search/ and /api/search/suggest/ as users typing see it, with the engine's share.

Usage (the site served as ``make run`` serves it, on the real catalogue's index): one server as
deployed, and for the worst case a second one with the search cache off::

    DJANGO_SETTINGS_MODULE=animesite.settings.local .venv/bin/gunicorn animesite.wsgi:application \\
        -c gunicorn.conf.py --bind 127.0.0.1:8003
    SEARCH_CACHE_SECONDS=0 DJANGO_SETTINGS_MODULE=animesite.settings.local \\
        .venv/bin/gunicorn animesite.wsgi:application -c gunicorn.conf.py --bind 127.0.0.1:8004
    .venv/bin/python benchmarks/search_bench.py --deployed-url http://127.0.0.1:8003 \\
        --worst-url http://127.0.0.1:8004 --clients 1,8

Each client types every query of a fixed list (every script, typos, prefixes, joined words) one
character at a time, asking for suggestions at each keystroke from the second character, then
searches it (some searches with filters, one with filters only: 159 suggestions and 22 searches a
round). One phase per number of clients, the clients typing concurrently. Two cases, side by side:

- **worst** (serve with ``SEARCH_CACHE_SECONDS=0``): no pause at all, each request sent the moment
  the previous one answered, every search asks the engine; client *c* starts at the list's
  *c*-th query, so neighbours type neighbouring queries. This is far more than people typing
  send: it measures what the engine can take.
- **deployed** (the server as ``make run`` serves it, search cache on, emptied before each phase):
  people typing. A keystroke every ``--keystroke-ms`` (120 ms: a fast typist; a request still
  waits for the previous answer, as the page has one suggestion request in flight per field), the
  search sent one keystroke after the last character (Enter), and each client starting at its own
  place in the list (client *c* of *n* at ``c / n`` of it) one keystroke after client *c - 1*, so
  concurrent clients are on different queries; a query someone searched before answers from the
  cache, as on the site. Still a heavy model: the page waits 150 ms after a keystroke before
  asking, so a fast typist sends fewer suggestions than this, and nobody pauses to read results.

``--worst-url`` and ``--deployed-url`` also take ``label=url,label=url``: variants of a case
(servers with other settings or code) measured in one run, each number of clients in turn.

For every request the endpoint reports its wait for the search engine in a ``Server-Timing``
header: ``engine`` is that share (including a wait on an identical search in flight), ``own`` the
rest of the time the client waited (HTTP, validation, the autocomplete index, MySQL cards,
highlights, JSON). Prints p50 / p95 per case, endpoint and phase, the degraded answers (the
database answered: no engine slot within ``SEARCH_QUEUE_SECONDS``, a timeout, the breaker), the
searches answered without the engine (cache), the load average at the end of each phase, and
writes ``var/bench/search.json``. ``SEARCH_TITLE_STAGE=false`` on a server has the engine match
titles itself (the body before the title stage, ``catalog/search/README.md``) for a comparison.
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
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class Case:
    name: str
    base_url: str
    keystroke_ms: float  # 0: each request sent as soon as the previous one answered
    spread: bool  # clients start evenly spread over the list (else client c at session c)
    cold_cache: bool  # empty the search cache before each phase
    description: str


def case_for(kind: str, label: str, url: str, keystroke_ms: float) -> Case:
    name = f"{kind}:{label}" if label else kind
    if kind == "worst":
        return Case(
            name=name,
            base_url=url,
            keystroke_ms=0.0,
            spread=False,
            cold_cache=False,
            description="search cache off on the server, no pauses, client c starts at session c",
        )
    if kind == "deployed":
        return Case(
            name=name,
            base_url=url,
            keystroke_ms=keystroke_ms,
            spread=True,
            cold_cache=True,
            description=(
                "as deployed (search cache on, emptied before each phase), a keystroke every"
                f" {keystroke_ms:g} ms, clients spread over the list"
            ),
        )
    raise SystemExit(f"unknown case {kind!r}: worst or deployed")


def run_client(
    base_url: str,
    sessions: list[list[tuple[str, dict[str, str]]]],
    out: list[dict[str, Any]],
    keystroke_ms: float = 0.0,
    start_delay: float = 0.0,
) -> None:
    """Type every session: a request per keystroke, ``keystroke_ms`` apart (a request is sent at
    its keystroke, or when the previous one answered if that is later), from ``start_delay``
    seconds on."""
    interval = keystroke_ms / 1000
    time.sleep(start_delay)
    for session in sessions:
        next_at = time.perf_counter()
        for path, params in session:
            if interval:
                next_at += interval
                pause = next_at - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                else:
                    next_at = time.perf_counter()
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


def empty_search_cache() -> int:
    """Delete the cached search answers (every catalogue generation): the phase starts cold."""
    from django.core.cache import cache

    try:
        return int(cache.delete_pattern("search:*"))  # type: ignore[attr-defined]
    except Exception:  # not django-redis, or Redis away: the phase says what it found
        return -1


def phase(case: Case, clients: int, rounds: int) -> dict[str, Any]:
    """``clients`` threads, each typing every session ``rounds`` times from its own start."""
    import threading

    emptied = empty_search_cache() if case.cold_cache else None
    records: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    delay = case.keystroke_ms / 1000
    threads = []
    for c in range(clients):
        start = (c * len(SESSIONS) // clients) if case.spread else c % len(SESSIONS)
        order = SESSIONS[start:] + SESSIONS[:start]
        threads.append(
            threading.Thread(
                target=run_client,
                # People do not all start typing at one instant: a keystroke apart when typing.
                args=(case.base_url, order * rounds, records[c], case.keystroke_ms, c * delay),
                daemon=True,
            )
        )
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    flat = [r for rs in records for r in rs]
    out: dict[str, Any] = {
        "clients": clients,
        "wall_s": round(wall, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cache_entries_emptied": emptied,
    }
    for kind in ("suggest", "search"):
        rows = [r for r in flat if r["kind"] == kind and "error" not in r]
        out[kind] = {
            "total": summary([r["ms"] for r in rows]),
            "engine": summary([r["engine_ms"] for r in rows]),
            "own": summary([r["ms"] - r["engine_ms"] for r in rows]),
            "degraded": sum(r["degraded"] for r in rows),
            "without_engine": sum(1 for r in rows if r["engine_ms"] == 0 and not r["degraded"]),
            "errors": sum(1 for r in flat if r["kind"] == kind and "error" in r),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8003", help="Both cases' server by default.")
    parser.add_argument("--worst-url", help="The worst case's server (SEARCH_CACHE_SECONDS=0).")
    parser.add_argument("--deployed-url", help="The server as deployed (search cache on).")
    # Either URL may be a comma-separated list of label=url: variants compared in one run.
    parser.add_argument("--cases", default="worst,deployed", help="Comma-separated: worst, deployed.")
    parser.add_argument("--keystroke-ms", type=float, default=120.0, help="Deployed case: ms between keys.")
    parser.add_argument("--rounds", type=int, default=2, help="Times each client types every session.")
    parser.add_argument("--clients", default="1,8", help="Comma-separated numbers of concurrent clients.")
    parser.add_argument("--label", default="", help="Free text stored with the figures (server settings).")
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "search.json"))
    args = parser.parse_args()
    base_url = args.base_url.rstrip("/")
    cases: list[Case] = []
    for name in (n.strip() for n in args.cases.split(",") if n.strip()):
        urls = getattr(args, f"{name}_url", None) or base_url
        for item in urls.split(","):  # "url" or "label=url": variants of one case, compared
            label, _, url = item.partition("=") if "=" in item.split("://")[0] else ("", "", item)
            cases.append(case_for(name, label, url.rstrip("/"), args.keystroke_ms))
    load_before = [round(x, 2) for x in os.getloadavg()]
    for case in cases:
        # Warm-up: one pass, not recorded (connections, the server's autocomplete index).
        run_client(case.base_url, SESSIONS[:3], [])
    phases: dict[str, list[dict[str, Any]]] = {case.name: [] for case in cases}
    for n in args.clients.split(","):  # variants interleaved: each number of clients in turn
        for case in cases:
            phases[case.name].append(phase(case, int(n), args.rounds))
    results = [{**asdict(case), "phases": phases[case.name]} for case in cases]
    client = search_client().options(request_timeout=60)
    try:
        info = dict(client.info())
        documents = client.count(index=anime_alias())["count"]
    except Exception as exc:  # the figures above stand without the server's description
        info, documents = {"name": repr(exc)}, None
    result = {
        "at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "label": args.label,
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
            "load_average_before": load_before,
            "load_average": list(os.getloadavg()),
        },
        "cases": results,
    }
    print(f"\nsearch server: {result['search_server']}, load average before {load_before}")
    for entry in results:
        print(f"{entry['name']}: {entry['description']} ({entry['base_url']})")
    print(
        f"{'case':16s} {'clients':>7s} {'endpoint':8s} {'n':>5s} {'p50':>7s} {'p95':>7s}"
        f" {'engine p50':>11s} {'engine p95':>11s} {'own p50':>8s} {'own p95':>8s}"
        f" {'degraded':>9s} {'no engine':>9s} {'load':>5s}"
    )
    for entry in results:
        for ph in entry["phases"]:
            for kind in ("suggest", "search"):
                k = ph[kind]
                print(
                    f"{entry['name']:16s} {ph['clients']:>7d} {kind:8s} {k['total'].get('n', 0):>5d}"
                    f" {k['total'].get('p50_ms', 0):>7.0f} {k['total'].get('p95_ms', 0):>7.0f}"
                    f" {k['engine'].get('p50_ms', 0):>11.0f} {k['engine'].get('p95_ms', 0):>11.0f}"
                    f" {k['own'].get('p50_ms', 0):>8.0f} {k['own'].get('p95_ms', 0):>8.0f}"
                    f" {k['degraded']:>9d} {k['without_engine']:>9d} {ph['load_average'][0]:>5.1f}"
                )
    print(
        "ms; engine = the endpoint's wait for the search engine (Server-Timing), own = the rest;"
        " no engine = answered without the engine (searches: the cache, suggestions: the title index);"
        " load = 1-minute load average at the phase's end"
    )
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
