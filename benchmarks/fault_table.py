"""The fault table: a served copy of the site under a mixed read/write load while one dependency at
a time is cut, hung or slowed, then healed.

Usage (MariaDB, Redis and the search server running; the source database loaded)::

    .venv/bin/python benchmarks/fault_table.py [--fault-seconds 20] [--port 8032] [--redis-db 12]

What it serves: gunicorn with ``gunicorn.conf.py`` and one Celery worker, as ``make run`` does
(``animesite.settings.local``, ``DEBUG`` off, ``NUM_PROXIES=1``: every request carries an
``X-Forwarded-For`` address as a proxy in front would add it), on a throwaway copy of the
database (``--db``, made once with ``mysqldump <--copy-from> | mysql <--db>``; the source is only
read) and its own Redis database (``--redis-db``, flushed at start; the recommender's keys are
copied into it from ``--redis-source-db``). MariaDB, Redis (cache, sessions, broker) and the
search server are reached through in-process TCP proxies (``tests/faults/proxy.py``) that can cut
(close every connection, refuse new ones), hang (accept, read, never answer) or slow (each chunk
waits) the link; the model files are a hard-linked copy of ``--models-from`` whose active version
folder is moved away for the "model files missing" fault.

Load: ``--users`` signed-in visitors and ``--anonymous`` anonymous ones, each a thread with its own
address, looping over a weighted mix (home, anime list and detail, similar, rankings,
recommendations, search, suggestions, the collection; writes: a list entry with a new anime and
"not interested" for another, plus one MyAnimeList import per signed-in visitor and fault).

Per fault: 5 s normal, ``--fault-seconds`` with the fault, then healed; "seconds to normal" is the
time from healing until two consecutive rounds of probes (home, anime detail, rankings, signed-in
recommendations and collection, a search never asked before) all answer 200, not degraded, each
within 2 s (probes already degraded before any fault are left out and listed). Lost writes:
acknowledged (2xx) writes whose row is not in the database at the end. Stuck imports: jobs still
pending or running when the run ends (the worker had ``--settle-seconds`` to finish them).

Writes ``var/bench/fault_table.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.proxy import FaultProxy  # noqa: E402

PASSWORD = "fault-table-Passw0rd!"
FAULTS = ["redis_cut", "redis_hung", "search_cut", "search_slow", "mariadb_cut", "model_missing"]
PROBE_LIMIT_SECONDS = 2.0


# --- the served copy --------------------------------------------------------------------------


def mysql(*args: str, stdin: Any = None, stdout: Any = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["mysql", "--protocol=tcp", "-h127.0.0.1", "-uroot", *args], stdin=stdin, stdout=stdout, check=True
    )


def database_prepare(db: str, source: str) -> None:
    """Copy ``source`` into ``db`` once (never writes to ``source``); refresh the model registry."""
    if db == source:
        raise SystemExit("--db must not be the source database")
    tables = subprocess.run(
        ["mysql", "--protocol=tcp", "-h127.0.0.1", "-uroot", "-N", "-e", f"SHOW TABLES FROM `{db}`"],
        capture_output=True,
        text=True,
    )
    if tables.returncode != 0 or "catalog_anime" not in tables.stdout:
        print(f"copying {source} into {db} (mysqldump | mysql)...", flush=True)
        mysql("-e", f"CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        dump = subprocess.Popen(
            [
                "mysqldump",
                "--protocol=tcp",
                "-h127.0.0.1",
                "-uroot",
                "--single-transaction",
                "--quick",
                source,
            ],
            stdout=subprocess.PIPE,
        )
        mysql(db, stdin=dump.stdout)
        if dump.wait() != 0:
            raise SystemExit("mysqldump failed")
    # The registry may have moved on since the copy (a model promoted): take the source's rows.
    mysql(
        "-e",
        f"SET FOREIGN_KEY_CHECKS=0; DELETE FROM `{db}`.recsys_modelversion; "
        f"INSERT INTO `{db}`.recsys_modelversion SELECT * FROM `{source}`.recsys_modelversion;",
    )


def redis_prepare(redis_db: int, source_db: int) -> str | None:
    """Flush our Redis database; copy the recommender's keys from the source one. The active version."""
    import redis

    ours = redis.Redis(host="127.0.0.1", port=6379, db=redis_db)
    ours.flushdb()
    source = redis.Redis(host="127.0.0.1", port=6379, db=source_db)
    copied = 0
    for key in source.scan_iter(match="recsys:*", count=500):
        if key == b"recsys:train-lock":
            continue
        source.copy(key, key, destination_db=redis_db, replace=True)
        copied += 1
    active = ours.get("recsys:active")
    print(f"redis db {redis_db}: {copied} recommender keys copied, active version {active!r}", flush=True)
    return active.decode() if active else None


def models_prepare(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if source.is_dir():
        for entry in source.iterdir():
            if entry.is_dir():
                shutil.copytree(entry, target / entry.name, copy_function=os.link)


@dataclass
class Served:
    processes: list[subprocess.Popen[bytes]]
    logs: Path

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def serve(args: argparse.Namespace, env: dict[str, str], logs: Path) -> Served:
    logs.mkdir(parents=True, exist_ok=True)
    venv = ROOT / ".venv" / "bin"
    web = subprocess.Popen(
        [
            str(venv / "gunicorn"),
            "animesite.wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{args.port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(logs / "web.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [str(venv / "celery"), "-A", "animesite", "worker", "-Q", "default", "-c", "1", "-l", "warning"],
        cwd=ROOT,
        env=env,
        stdout=open(logs / "worker.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    served = Served(processes=[web, worker], logs=logs)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if web.poll() is not None:
            served.stop()
            raise SystemExit(f"gunicorn exited; see {logs / 'web.log'}")
        try:
            if requests.get(f"http://127.0.0.1:{args.port}/api/health/", timeout=2).status_code == 200:
                return served
        except requests.RequestException:
            pass
        time.sleep(1)
    served.stop()
    raise SystemExit("the served copy did not answer within 180 s")


# --- load -------------------------------------------------------------------------------------


@dataclass
class Sample:
    at: float
    fault: str
    phase: str
    kind: str
    status: int  # 0: no answer (connection error or client timeout)
    degraded: bool
    seconds: float
    write: bool


@dataclass
class Clock:
    """What is going on now (read by every load thread)."""

    fault: str = "warmup"
    phase: str = "warmup"
    stop: threading.Event = field(default_factory=threading.Event)
    import_round: int = 0


class Visitor:
    def __init__(self, base: str, address: str, username: str | None = None) -> None:
        self.base = base
        self.username = username
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = address  # as the proxy in front would add it
        self.user_id: int | None = None

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, bool, float, Any]:
        headers = kwargs.pop("headers", {})
        if method != "GET":
            headers["X-CSRFToken"] = self.session.cookies.get("csrftoken", "")
        started = time.monotonic()
        try:
            response = self.session.request(method, self.base + path, headers=headers, timeout=20, **kwargs)
        except requests.RequestException:
            return 0, False, time.monotonic() - started, None
        seconds = time.monotonic() - started
        body: Any = None
        if response.headers.get("Content-Type", "").startswith("application/json"):
            try:
                body = response.json()
            except ValueError:
                body = None
        degraded = "X-Degraded" in response.headers or (
            isinstance(body, dict) and body.get("degraded") is True
        )
        return response.status_code, degraded, seconds, body

    def login(self) -> None:
        self.call("GET", "/api/auth/me/")
        status, _, _, body = self.call(
            "POST", "/api/auth/login/", json={"username": self.username, "password": PASSWORD}
        )
        if status != 200:
            raise SystemExit(f"login of {self.username} failed: {status} {body}")


@dataclass
class Catalogue:
    anime_ids: list[int]
    mal_ids: dict[int, int]
    words: list[str]


@dataclass
class Ledger:
    """Acknowledged writes and imports, for the check at the end."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    entries: list[tuple[str, str, int, int, int]] = field(
        default_factory=list
    )  # fault, phase, user, anime, score
    hidden: list[tuple[str, str, int, int]] = field(default_factory=list)  # fault, phase, user, anime
    imports: list[tuple[str, int, int]] = field(default_factory=list)  # fault, status, job id (0: none)


READS_SIGNED_IN = [
    ("home", 2),
    ("anime_list", 2),
    ("anime_detail", 3),
    ("similar", 1),
    ("rankings_top", 1),
    ("rankings_trending", 1),
    ("recommendations", 2),
    ("search", 2),
    ("suggest", 2),
    ("collection", 1),
    ("write_entry", 2),
    ("write_not_interested", 1),
]
READS_ANONYMOUS = [
    ("home", 2),
    ("anime_list", 2),
    ("anime_detail", 3),
    ("similar", 1),
    ("rankings_top", 1),
    ("rankings_trending", 1),
    ("recommendations", 1),
    ("search", 2),
    ("suggest", 2),
]


def mal_xml(mal_ids: list[int]) -> bytes:
    entries = "".join(
        f"<anime><series_animedb_id>{mal_id}</series_animedb_id><my_status>Completed</my_status>"
        f"<my_score>7</my_score><my_last_updated>{int(time.time())}</my_last_updated></anime>"
        for mal_id in mal_ids
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><myanimelist>{entries}</myanimelist>'.encode()


def visitor_loop(
    visitor: Visitor,
    clock: Clock,
    catalogue: Catalogue,
    pool: list[int],
    samples: list[Sample],
    ledger: Ledger,
    seed: int,
) -> None:
    rng = random.Random(seed)
    mix = READS_SIGNED_IN if visitor.username else READS_ANONYMOUS
    kinds = [k for k, _ in mix]
    weights = [w for _, w in mix]
    imported_round = 0
    while not clock.stop.is_set():
        fault, phase = clock.fault, clock.phase
        write = False
        if visitor.username and clock.import_round > imported_round and len(pool) >= 3:
            imported_round = clock.import_round
            mal_ids = [catalogue.mal_ids[pool.pop()] for _ in range(3)]
            kind, write = "mal_import", True
            status, degraded, seconds, body = visitor.call(
                "POST", "/api/collection/import/", files={"file": ("animelist.xml", mal_xml(mal_ids))}
            )
            job_id = (
                int(body.get("id") or body.get("extra", {}).get("job_id") or 0)
                if isinstance(body, dict)
                else 0
            )
            with ledger.lock:
                ledger.imports.append((fault, status, job_id))
        else:
            kind = rng.choices(kinds, weights)[0]
            anime = rng.choice(catalogue.anime_ids[:2000])
            if kind == "write_entry" and pool:
                write = True
                target, score = pool.pop(), rng.randint(1, 10)
                status, degraded, seconds, _ = visitor.call(
                    "PUT", f"/api/collection/{target}/", json={"status": "watching", "score": score}
                )
                if 200 <= status < 300 and visitor.user_id is not None:
                    with ledger.lock:
                        ledger.entries.append((fault, phase, visitor.user_id, target, score))
            elif kind == "write_not_interested" and pool:
                write = True
                target = pool.pop()
                status, degraded, seconds, _ = visitor.call(
                    "POST", "/api/recommendations/not-interested/", json={"anime_id": target}
                )
                if 200 <= status < 300 and visitor.user_id is not None:
                    with ledger.lock:
                        ledger.hidden.append((fault, phase, visitor.user_id, target))
            else:
                path = read_path(kind, anime, rng, catalogue)
                status, degraded, seconds, _ = visitor.call("GET", path)
        samples.append(Sample(time.monotonic(), fault, phase, kind, status, degraded, seconds, write))
        time.sleep(rng.uniform(0.05, 0.2))


def read_path(kind: str, anime: int, rng: random.Random, catalogue: Catalogue) -> str:
    word = rng.choice(catalogue.words)
    return {
        "home": "/api/home/",
        "anime_list": f"/api/anime/?page={rng.randint(1, 5)}",
        "anime_detail": f"/api/anime/{anime}/",
        "similar": f"/api/anime/{anime}/similar/",
        "rankings_top": "/api/rankings/top/",
        "rankings_trending": "/api/rankings/trending/",
        "recommendations": "/api/recommendations/",
        "search": f"/api/search/?q={word}",
        "suggest": f"/api/search/suggest/?q={word[:3]}",
        "collection": "/api/collection/",
    }[kind]


# --- probes -----------------------------------------------------------------------------------


def probe_round(anon: Visitor, signed: Visitor, anime: int, word: str, skip: set[str]) -> dict[str, bool]:
    probes = {
        "home": (anon, "/api/home/"),
        "anime_detail": (anon, f"/api/anime/{anime}/"),
        "rankings_top": (anon, "/api/rankings/top/"),
        "recommendations": (signed, "/api/recommendations/"),
        "collection": (signed, "/api/collection/"),
        "search": (anon, f"/api/search/?q={word}"),
    }
    result = {}
    for name, (visitor, path) in probes.items():
        if name in skip:
            continue
        status, degraded, seconds, _ = visitor.call("GET", path)
        ok = status == 200 and not degraded and seconds <= PROBE_LIMIT_SECONDS
        result[name] = ok
        if not ok:
            LAST_BAD[name] = f"{status}{' degraded' if degraded else ''} {seconds:.2f}s"
    return result


LAST_BAD: dict[str, str] = {}


def seconds_to_normal(
    anon: Visitor, signed: Visitor, catalogue: Catalogue, skip: set[str], rng: random.Random, cap: float
) -> tuple[float | None, list[str]]:
    """Seconds from now until two consecutive probe rounds are all normal (None: not within cap)."""
    started = time.monotonic()
    first_ok: float | None = None
    last_bad: list[str] = []
    while time.monotonic() - started < cap:
        round_started = time.monotonic() - started
        word = f"{rng.choice(catalogue.words)} {rng.choice(catalogue.words)}"  # never asked before
        result = probe_round(anon, signed, rng.choice(catalogue.anime_ids[:2000]), word, skip)
        if all(result.values()):
            if first_ok is not None:
                return first_ok, []
            first_ok = round_started
        else:
            first_ok = None
            last_bad = [f"{name}: {LAST_BAD.get(name)}" for name, ok in result.items() if not ok]
        time.sleep(0.25)
    return None, last_bad


# --- faults -----------------------------------------------------------------------------------


@dataclass
class Proxies:
    db: FaultProxy
    redis: FaultProxy
    search: FaultProxy


def fault_apply(name: str, proxies: Proxies, models: Path, version: str | None, *, heal: bool) -> bool:
    """Start (or end) a fault; False when it cannot be staged (no model to hide)."""
    if name == "model_missing":
        if not version:
            return False
        folder, away = models / version, models / f"{version}.away"
        if heal:
            away.rename(folder)
        else:
            folder.rename(away)
        return True
    proxy = {"redis": proxies.redis, "search": proxies.search, "mariadb": proxies.db}[name.split("_")[0]]
    if heal:
        proxy.set_mode("pass")
    elif name.endswith("_cut"):
        proxy.set_mode("cut")
    elif name.endswith("_hung"):
        proxy.set_mode("hang")
    else:
        proxy.set_mode("slow", delay=5.0)
    return True


def _kind_summary(samples: list[Sample]) -> dict[str, Any]:
    latencies = sorted(s.seconds for s in samples) or [0.0]
    return {
        "n": len(samples),
        "statuses": dict(sorted(Counter(s.status for s in samples).items())),
        "degraded": sum(s.degraded for s in samples),
        "p95_seconds": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 3),
    }


def summarise(fault: str, samples: list[Sample]) -> dict[str, Any]:
    during = [s for s in samples if s.fault == fault and s.phase == "fault"]
    after = [s for s in samples if s.fault == fault and s.phase == "after"]
    latencies = sorted(s.seconds for s in during) or [0.0]
    return {
        "requests": len(during),
        "reads": sum(not s.write for s in during),
        "writes": sum(s.write for s in during),
        "status_5xx": sum(s.status >= 500 and s.status != 503 for s in during),
        "status_503": sum(s.status == 503 for s in during),
        "no_answer": sum(s.status == 0 for s in during),
        "degraded": sum(s.degraded for s in during),
        "p50_seconds": round(latencies[len(latencies) // 2], 3),
        "p95_seconds": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 3),
        "max_seconds": round(latencies[-1], 3),
        "statuses": dict(sorted(Counter(s.status for s in during).items())),
        "by_kind": {
            kind: _kind_summary([s for s in during if s.kind == kind])
            for kind in sorted({s.kind for s in during})
        },
        "after_requests": len(after),
        "after_5xx_or_no_answer": sum((s.status >= 500 and s.status != 503) or s.status == 0 for s in after),
    }


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8032)
    parser.add_argument("--db", default="animesite_flt")
    parser.add_argument("--copy-from", default="animesite")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--redis-source-db", type=int, default=0)
    parser.add_argument("--search-url", default=os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--models-from", default=str(ROOT / "var" / "models"))
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--anonymous", type=int, default=2)
    parser.add_argument("--fault-seconds", type=float, default=20.0)
    parser.add_argument("--recovery-cap", type=float, default=90.0)
    parser.add_argument("--settle-seconds", type=float, default=30.0)
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "fault_table.json"))
    args = parser.parse_args()
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        raise SystemExit(f"unknown faults: {sorted(unknown)}")

    load_at_start = os.getloadavg()
    database_prepare(args.db, args.copy_from)
    version = redis_prepare(args.redis_db, args.redis_source_db)
    work = ROOT / "var" / "bench" / "fault_table"
    models = work / "models"
    models_prepare(Path(args.models_from), models)
    if version and not (models / version).is_dir():
        print(f"model files of {version} not found under {args.models_from}", flush=True)
        version = None

    search = urlparse(args.search_url)
    proxies = Proxies(
        db=FaultProxy("127.0.0.1", 3306),
        redis=FaultProxy("127.0.0.1", 6379),
        search=FaultProxy(search.hostname or "127.0.0.1", search.port or 9200),
    )
    redis_url = f"redis://127.0.0.1:{proxies.redis.port}/{args.redis_db}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "animesite.settings.local",
        "DJANGO_DEBUG": "false",
        "NUM_PROXIES": "1",
        "DATABASE_URL": f"mysql://root@127.0.0.1:{proxies.db.port}/{args.db}",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "ELASTICSEARCH_URL": f"http://127.0.0.1:{proxies.search.port}",
        "MODELS_DIR": str(models),
        "WEB_WORKERS": os.environ.get("WEB_WORKERS", "2"),
    }
    # This process checks the database and Redis directly, never through the proxies.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="animesite.settings.local",
        DATABASE_URL=f"mysql://root@127.0.0.1:3306/{args.db}",
        REDIS_URL=f"redis://127.0.0.1:6379/{args.redis_db}",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from catalog.models import Anime
    from favorites.models import CollectionEntry, ImportJob
    from recsys.models import NotInterested

    user_model = get_user_model()
    names = [f"faulttable{i}" for i in range(args.users + 1)]
    for name in names:
        user, _ = user_model.objects.get_or_create(username=name, defaults={"email": f"{name}@example.com"})
        user.set_password(PASSWORD)
        user.save()
    user_model.objects.filter(username__in=names).update(is_active=True)
    user_ids = dict(user_model.objects.filter(username__in=names).values_list("username", "id"))
    CollectionEntry.objects.filter(user__username__in=names).delete()
    NotInterested.objects.filter(user__username__in=names).delete()
    rows = list(
        Anime.objects.visible()
        .filter(mal_id__isnull=False)
        .order_by("-members")
        .values_list("id", "mal_id", "title")[:6000]
    )
    catalogue = Catalogue(
        anime_ids=[r[0] for r in rows],
        mal_ids={r[0]: int(r[1] or 0) for r in rows},
        words=sorted({w for r in rows[:3000] for w in r[2].split() if w.isalpha() and len(w) >= 4}),
    )

    logs = work / "logs"
    started_at = datetime.now(UTC)
    served = serve(args, env, logs)
    clock = Clock()
    samples: list[Sample] = []
    ledger = Ledger()
    rng = random.Random(7)
    threads: list[threading.Thread] = []
    results: dict[str, Any] = {}
    try:
        base = f"http://127.0.0.1:{args.port}"
        pools = [catalogue.anime_ids[i :: args.users + 1] for i in range(args.users + 1)]
        for pool in pools:
            rng.shuffle(pool)
        visitors = []
        for i in range(args.users):
            visitor = Visitor(base, f"203.0.113.{10 + i}", names[i])
            visitor.user_id = user_ids[names[i]]
            visitor.login()
            visitors.append(visitor)
        probe_signed = Visitor(base, "203.0.113.200", names[args.users])
        probe_signed.login()
        probe_anon = Visitor(base, "203.0.113.201")
        for i, visitor in enumerate(visitors):
            threads.append(
                threading.Thread(
                    target=visitor_loop,
                    args=(visitor, clock, catalogue, pools[i], samples, ledger, i),
                    daemon=True,
                )
            )
        for j in range(args.anonymous):
            anon = Visitor(base, f"198.51.100.{10 + j}")
            threads.append(
                threading.Thread(
                    target=visitor_loop,
                    args=(anon, clock, catalogue, [], samples, ledger, 100 + j),
                    daemon=True,
                )
            )
        for thread in threads:
            thread.start()
        time.sleep(10)  # warm: caches filled, stored copies for the database fault
        baseline: dict[str, list[bool]] = {}
        for _ in range(8):
            word = rng.choice(catalogue.words)
            for name, ok in probe_round(
                probe_anon, probe_signed, catalogue.anime_ids[0], word, set()
            ).items():
                baseline.setdefault(name, []).append(ok)
            time.sleep(0.25)
        skip = {name for name, oks in baseline.items() if sum(oks) < len(oks) // 2}
        print(
            f"probes left out (not normal before any fault): "
            f"{ {name: LAST_BAD.get(name) for name in sorted(skip)} or 'none' }",
            flush=True,
        )

        for fault in faults:
            clock.fault, clock.phase = fault, "before"
            time.sleep(5)
            if not fault_apply(fault, proxies, models, version, heal=False):
                results[fault] = {"skipped": "no active model version with files to hide"}
                continue
            clock.phase = "fault"
            print(f"{fault}: on for {args.fault_seconds:.0f} s", flush=True)
            time.sleep(1.0)
            clock.import_round += 1
            time.sleep(max(0.0, args.fault_seconds - 1.0))
            fault_apply(fault, proxies, models, version, heal=True)
            clock.phase = "after"
            seconds, still_bad = seconds_to_normal(
                probe_anon, probe_signed, catalogue, skip, rng, args.recovery_cap
            )
            results[fault] = {"seconds_to_normal": None if seconds is None else round(seconds, 2)}
            if still_bad:
                results[fault]["not_normal"] = still_bad
            print(f"{fault}: healed, normal after {seconds} s", flush=True)
            time.sleep(3)
        clock.fault, clock.phase = "end", "end"
        time.sleep(args.settle_seconds)  # the worker finishes what was queued
    finally:
        clock.stop.set()
        for thread in threads:
            thread.join(timeout=25)
        served.stop()
        for proxy in (proxies.db, proxies.redis, proxies.search):
            proxy.close()
        if version and (models / f"{version}.away").exists():
            (models / f"{version}.away").rename(models / version)

    # Acknowledged writes must all be in the database.
    lost: Counter[str] = Counter()
    acked: Counter[str] = Counter()
    acked_during: Counter[str] = Counter()
    for fault, phase, user_id, anime_id, score in ledger.entries:
        acked[fault] += 1
        acked_during[fault] += phase == "fault"
        if not CollectionEntry.objects.filter(user_id=user_id, anime_id=anime_id, score=score).exists():
            lost[fault] += 1
    for fault, phase, user_id, anime_id in ledger.hidden:
        acked[fault] += 1
        acked_during[fault] += phase == "fault"
        if not NotInterested.objects.filter(user_id=user_id, anime_id=anime_id).exists():
            lost[fault] += 1
    jobs = {
        job_id: status
        for job_id, status in ImportJob.objects.filter(user__username__in=names).values_list("id", "status")
    }
    for fault in faults:
        if "skipped" in results.get(fault, {}):
            continue
        row = results.setdefault(fault, {})
        row.update(summarise(fault, samples))
        row["writes_acknowledged"] = acked[fault]  # before, during and after the fault
        row["writes_acknowledged_during"] = acked_during[fault]
        row["writes_lost"] = lost[fault]
        answered = [(status, job) for f, status, job in ledger.imports if f == fault]
        row["imports"] = {
            "answers": dict(sorted(Counter(status for status, _ in answered).items())),
            "final": dict(sorted(Counter(jobs.get(job, "none") for _, job in answered if job).items())),
            "stuck": sum(jobs.get(job) in ("pending", "running") for _, job in answered if job),
        }

    report = {
        "started_at": started_at.isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "served": "gunicorn.conf.py (gthread) + 1 Celery worker; settings.local, DEBUG off, NUM_PROXIES=1",
        "web_workers": env["WEB_WORKERS"],
        "load": {"signed_in": args.users, "anonymous": args.anonymous, "think_seconds": [0.05, 0.2]},
        "fault_seconds": args.fault_seconds,
        "active_model": version,
        "probes_left_out": sorted(skip),
        "faults": results,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nwritten {out}")


def print_table(report: dict[str, Any]) -> None:
    print(
        "\n| fault | requests during | 5xx (503 apart) | 503 | no answer | degraded | p95 s "
        "| writes acked during | writes lost | imports (answers -> final) | s to normal |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for fault, row in report["faults"].items():
        if "skipped" in row:
            print(f"| {fault} | skipped: {row['skipped']} |||||||||")
            continue
        imports = row["imports"]
        print(
            f"| {fault} | {row['requests']} | {row['status_5xx']} | {row['status_503']} | {row['no_answer']} "
            f"| {row['degraded']} | {row['p95_seconds']} | {row['writes_acknowledged_during']} "
            f"| {row['writes_lost']} "
            f"| {imports['answers']} -> {imports['final']} | {row.get('seconds_to_normal')} |"
        )


if __name__ == "__main__":
    main()
