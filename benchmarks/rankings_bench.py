"""Latency of the home page and the leaderboards against a running server.

Usage (the site served on port 8006 with the real data loaded)::

    .venv/bin/python benchmarks/rankings_bench.py --base-url http://127.0.0.1:8006 --requests 100

For every endpoint it records the first request (whatever the cache holds at that moment) and
then ``--requests`` sequential requests (p50 / p95 / mean / max in milliseconds), prints the top 10
of each ranking with its value, and writes everything to ``var/bench/rankings.json``.
Signed-in figures use an account it logs in with, or registers, through ``/api/auth/``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import platform
import statistics
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["top", "popular", "favorites", "trending"]
ENDPOINTS = [
    "/api/home/",
    *[f"/api/rankings/{kind}/" for kind in KINDS],
    "/api/rankings/top/?genre=action",
    "/api/rankings/popular/?type=TV&year=2010",
    "/api/rankings/top/?season=spring&year=2006&page=2",
]


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path: str, data: dict[str, Any] | None = None) -> tuple[int, Any, float]:
        body = None if data is None else json.dumps(data).encode()
        req = urllib.request.Request(
            self.base_url + path, data=body, method="GET" if data is None else "POST"
        )
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
            req.add_header("Referer", self.base_url + "/")
            token = next((c.value for c in self.cookies if c.name == "csrftoken"), None)
            if token:
                req.add_header("X-CSRFToken", token)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw = error.read()
            status = error.code
        elapsed = (time.perf_counter() - started) * 1000
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw[:200].decode(errors="replace")
        return status, payload, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure(client: Client, path: str, count: int) -> dict[str, Any]:
    status, _, first = client.request(path)
    timings = []
    statuses = {status}
    for _ in tqdm(range(count), desc=path, leave=False, file=sys.stderr):
        status, _, elapsed = client.request(path)
        statuses.add(status)
        timings.append(elapsed)
    return {
        "path": path,
        "statuses": sorted(statuses),
        "first_ms": round(first, 1),
        "p50_ms": round(percentile(timings, 0.50), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "mean_ms": round(statistics.fmean(timings), 1),
        "max_ms": round(max(timings), 1),
        "requests": count,
    }


def sign_in(client: Client, username: str, password: str) -> bool:
    client.request("/api/auth/me/")
    status, body, _ = client.request("/api/auth/login/", {"username": username, "password": password})
    if status != 200:
        status, body, _ = client.request(
            "/api/auth/register/",
            {"username": username, "password": password, "password_confirm": password},
        )
    if status not in (200, 201):
        print(f"sign-in failed ({status}): {body}", file=sys.stderr)
        return False
    client.request("/api/auth/me/")  # a fresh CSRF token after login
    return True


def top10(client: Client) -> dict[str, Any]:
    tops: dict[str, Any] = {}
    for kind in KINDS:
        status, body, _ = client.request(f"/api/rankings/{kind}/?page_size=10")
        if status != 200:
            tops[kind] = {"status": status, "body": body}
            continue
        tops[kind] = {
            "parameters": body.get("parameters"),
            "degraded": body.get("degraded"),
            "count": body.get("count"),
            "results": [
                {"rank": r["rank"], "title": r["title"], "value": r["value"], "details": r["details"]}
                for r in body["results"]
            ],
        }
    return tops


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8006")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--username", default="rankings-bench")
    parser.add_argument("--password", default="Tq7-lantern-orbit-42")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "rankings.json"))
    args = parser.parse_args()

    anonymous = Client(args.base_url)
    status, _, _ = anonymous.request("/api/home/")
    if status != 200:
        print(f"the server at {args.base_url} answered {status} for /api/home/", file=sys.stderr)
        return 1

    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(),
        "base_url": args.base_url,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "anonymous": [],
        "signed_in": [],
    }
    for path in tqdm(ENDPOINTS, desc="anonymous", file=sys.stderr):
        results["anonymous"].append(measure(anonymous, path, args.requests))

    member = Client(args.base_url)
    if sign_in(member, args.username, args.password):
        results["signed_in"].append(measure(member, "/api/home/", args.requests))
    else:
        print("could not sign in or register; skipping signed-in figures", file=sys.stderr)

    results["top10"] = top10(anonymous)

    print(f"\n{'endpoint':55} {'first':>8} {'p50':>8} {'p95':>8} {'max':>8}  (ms)")
    for who in ("anonymous", "signed_in"):
        for row in results[who]:
            label = f"{row['path']}{' (signed in)' if who == 'signed_in' else ''}"
            figures = " ".join(f"{row[k]:8.1f}" for k in ("first_ms", "p50_ms", "p95_ms", "max_ms"))
            print(f"{label:55} {figures}")
    for kind, top in results["top10"].items():
        print(f"\n{kind}: {json.dumps(top.get('parameters'), ensure_ascii=False)}")
        for row in top.get("results", []):
            print(f"  {row['rank']:2d}. {row['title'][:60]:60} {row['value']}")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
