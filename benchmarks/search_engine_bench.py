"""What each search request body costs the search engine, clause by clause, interleaved in one run.

Usage (the real catalogue loaded and indexed; local settings)::

    .venv/bin/python benchmarks/search_engine_bench.py --rounds 7

For each query, the bodies compared are: ``match_all`` (the engine's floor), every clause of the
engine-side text match alone (``catalog.search.queries.text_clauses``), the whole engine-side
body, the body with the title stage's ids (``catalog.search.titles``) instead of the analysed title
clauses, each with and without facet aggregations. The bodies are sent one after another in a
shuffled order each round (the machine is shared: interleaving spreads its noise over every body
alike); prints the median and p95 of the wall time per body (ms, client side) and its median minus
``match_all``'s, and writes ``var/bench/search_engine.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "animesite.settings.local")

import django  # noqa: E402

django.setup()

from elastic_transport import ConnectionTimeout  # noqa: E402

from catalog.documents import anime_alias  # noqa: E402
from catalog.search import titles, typeahead  # noqa: E402
from catalog.search.client import search_client  # noqa: E402
from catalog.search.queries import (  # noqa: E402
    POPULARITY_WEIGHT,
    SearchQuery,
    _facet_aggregations,
    popularity,
    search_body,
    text_clauses,
)

QUERIES = ["attack on titan", "进击的巨人"]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def page_body(query: dict[str, Any], *, aggs: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": query,
        "size": 20,
        "track_total_hits": True,
        "_source": False,
        "sort": ["_score", {"members": {"order": "desc"}}, {"mal_id": {"order": "asc"}}],
    }
    if aggs:
        body["aggs"] = aggs
    return body


def _without(body: dict[str, Any], drop: str) -> dict[str, Any]:
    """``body`` without its ``function_score`` wrapper (``drop="popularity"``) or without the
    synopsis clause (``drop="synopsis"``)."""
    body = json.loads(json.dumps(body))
    if drop == "popularity":
        body["query"] = body["query"]["function_score"]["query"]
    else:
        should = body["query"]["function_score"]["query"]["bool"]["should"]
        body["query"]["function_score"]["query"]["bool"]["should"] = [
            c for c in should if "synopsis" not in json.dumps(c)
        ]
    return body


def bodies_for(q: str, index: typeahead.TitleIndex, *, clauses: bool) -> dict[str, dict[str, Any]]:
    query = SearchQuery(q=q)
    visible = [{"term": {"is_hidden": False}}]
    out: dict[str, dict[str, Any]] = {}
    if clauses:
        for n, clause in enumerate(text_clauses(q)):
            inner = clause.get("constant_score", {}).get("filter", clause)
            kind, spec = next(iter(inner.items()))
            field = next(iter(spec))
            out[f"clause {n}: {kind} {field}"] = page_body({"bool": {"filter": visible, "should": [clause]}})
    matches = titles.title_matches(index, q)
    out["engine body, no facets"] = search_body(query, facets=False)
    out["engine body + facets"] = search_body(query, facets=True)
    if matches is not None:
        stage = search_body(query, facets=False, title_matches=matches)
        groups = len({*matches.values()})
        out[f"title stage ({len(matches)} ids, {groups} groups), no facets"] = stage
        out["title stage + facets"] = search_body(query, facets=True, title_matches=matches)
        out["title stage without popularity"] = _without(stage, "popularity")
        if "synopsis" in json.dumps(stage):
            out["title stage without synopsis"] = _without(stage, "synopsis")
        out["title stage, one ids group"] = search_body(
            query, facets=False, title_matches=dict.fromkeys(matches, 1.0)
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds per request.")
    parser.add_argument("--queries", default="|".join(QUERIES), help="'|'-separated queries.")
    parser.add_argument("--clauses", action="store_true", help="Also each engine-side text clause alone.")
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "search_engine.json"))
    args = parser.parse_args()
    client = search_client().options(request_timeout=args.timeout)
    started = time.perf_counter()
    index = typeahead.build("bench")
    print(f"title index built in {time.perf_counter() - started:.1f} s ({len(index.entries)} anime)")
    visible = {"bool": {"filter": [{"term": {"is_hidden": False}}]}}
    bodies: dict[str, dict[str, Any]] = {
        "match_all": page_body(visible),
        "match_all + popularity": page_body(popularity(visible, POPULARITY_WEIGHT)),
        "match_all + facets": page_body(visible, aggs=_facet_aggregations(SearchQuery())),
    }
    stage_ms: dict[str, float] = {}
    for q in args.queries.split("|"):
        t0 = time.perf_counter()
        titles.title_matches(index, q)
        stage_ms[q] = (time.perf_counter() - t0) * 1000
        for name, body in bodies_for(q, index, clauses=args.clauses).items():
            bodies[f"{q} | {name}"] = body
    timings: dict[str, list[float]] = {name: [] for name in bodies}
    for body in bodies.values():  # warm-up, not recorded
        with contextlib.suppress(ConnectionTimeout):
            client.search(index=anime_alias(), **body)
    for _ in range(args.rounds):
        order = list(bodies)
        random.shuffle(order)
        for name in order:
            t0 = time.perf_counter()
            with contextlib.suppress(ConnectionTimeout):  # counted at the timeout
                client.search(index=anime_alias(), **bodies[name])
            timings[name].append((time.perf_counter() - t0) * 1000)
    floor = statistics.median(timings["match_all"])
    rows: list[dict[str, Any]] = []
    for name, values in timings.items():
        median = statistics.median(values)
        rows.append(
            {
                "body": name,
                "p50_ms": round(median, 1),
                "p95_ms": round(percentile(values, 95), 1),
                "over_match_all_ms": round(median - floor, 1),
            }
        )
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.rounds} rounds; ms")
    print(f"{'body':78s} {'p50':>7s} {'p95':>7s} {'+ floor':>8s}")
    for row in rows:
        print(
            f"{row['body'][:78]:78s} {row['p50_ms']:>7.0f} {row['p95_ms']:>7.0f}"
            f" {row['over_match_all_ms']:>8.0f}"
        )
    print("title stage in process, ms: " + ", ".join(f"{q}: {ms:.1f}" for q, ms in stage_ms.items()))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
                "load_average": list(load),
                "rounds": args.rounds,
                "rows": rows,
                "title_stage_ms": stage_ms,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
