"""The MyAnimeList list import: reading an export safely, then applying it to a collection.

Flow: ``mal_import_start`` (in the request) reads and validates the whole upload with
``parse_mal_export`` and stores the normalised rows in an ``ImportJob``; the Celery task
``favorites.tasks.mal_import_run`` calls ``mal_import_execute``, which applies them in one
transaction through the collection services (so every change is recorded as a behaviour event).

Reading an export (``animelist.xml``, optionally gzipped) safely.

Guards, all checked before anything is written:

- the upload is at most ``MAX_UPLOAD_BYTES`` as sent (compressed or not);
- a gzipped file is inflated in bounded steps and refused past ``MAX_XML_BYTES`` (gzip bombs);
- the XML may not contain a DOCTYPE, so no entity can be declared (no "billion laughs", no
  external entities); expat is driven directly with handlers that refuse them;
- every ``<anime>`` must have a numeric ``series_animedb_id``, a known ``my_status`` and a
  ``my_score`` from 0 to 10. Any error rejects the whole file.

Status mapping (text as exported, or MAL's numeric codes)::

    Watching / 1 -> watching        Completed / 2 -> completed      On-Hold / 3 -> on_hold
    Dropped / 4 -> dropped          Plan to Watch / 6 -> want_to_watch

``my_score`` 0 means "not scored" on MyAnimeList (never "disliked"): it becomes no score.
``my_last_updated`` (Unix seconds, present in most exports) says when the entry last changed on
MyAnimeList; 0 or missing means unknown.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from xml.parsers import expat

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from activity.models import Source
from animesite.exceptions import ApplicationError
from catalog.models import Anime
from favorites.models import CollectionEntry, ImportJob, WatchStatus
from favorites.services import collection_entries_bulk_create, collection_entry_upsert, collection_lock

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_XML_BYTES = 50 * 1024 * 1024
MAX_REPORTED_ERRORS = 20
_GZIP_MAGIC = b"\x1f\x8b"

STATUS_MAP: dict[str, str] = {
    "watching": WatchStatus.WATCHING,
    "1": WatchStatus.WATCHING,
    "completed": WatchStatus.COMPLETED,
    "2": WatchStatus.COMPLETED,
    "on-hold": WatchStatus.ON_HOLD,
    "on hold": WatchStatus.ON_HOLD,
    "onhold": WatchStatus.ON_HOLD,
    "3": WatchStatus.ON_HOLD,
    "dropped": WatchStatus.DROPPED,
    "4": WatchStatus.DROPPED,
    "plan to watch": WatchStatus.WANT_TO_WATCH,
    "plantowatch": WatchStatus.WANT_TO_WATCH,
    "6": WatchStatus.WANT_TO_WATCH,
}

_ENTRY_FIELDS = {"series_animedb_id", "series_title", "my_status", "my_score", "my_last_updated"}


class MalExportError(Exception):
    """The upload is not an acceptable MyAnimeList export; ``errors`` says why, line by line."""

    def __init__(self, code: str, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.code = code
        self.errors = errors


@dataclass(frozen=True)
class MalEntry:
    mal_id: int
    title: str
    status: str
    score: int | None
    last_updated: int | None  # Unix seconds

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MalEntry:
        return cls(
            mal_id=int(data["mal_id"]),
            title=str(data.get("title", "")),
            status=str(data["status"]),
            score=None if data.get("score") is None else int(data["score"]),
            last_updated=None if data.get("last_updated") is None else int(data["last_updated"]),
        )


def read_upload(fileobj: IO[bytes], *, size: int | None) -> bytes:
    """The XML bytes of an upload: size-checked, inflated when gzipped (bounded)."""
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise MalExportError(
            "file_too_large",
            [_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}],
        )
    raw = fileobj.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise MalExportError(
            "file_too_large",
            [_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}],
        )
    if not raw.strip():
        raise MalExportError("invalid_file", [_("The file is empty.")])
    if raw.startswith(_GZIP_MAGIC):
        return _gunzip_bounded(raw)
    return raw


def _gunzip_bounded(raw: bytes) -> bytes:
    too_large = MalExportError(
        "file_too_large",
        [_("The unpacked file is larger than %(mb)d MB.") % {"mb": MAX_XML_BYTES // (1024 * 1024)}],
    )
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = raw
    try:
        while True:
            chunk = inflater.decompress(pending, MAX_XML_BYTES + 1 - len(out))
            out += chunk
            if len(out) > MAX_XML_BYTES:
                raise too_large
            pending = inflater.unconsumed_tail
            if inflater.eof or (not pending and not chunk):
                break
    except zlib.error as exc:
        raise MalExportError("invalid_file", [_("The gzip file is damaged: %(e)s") % {"e": exc}]) from exc
    if not inflater.eof:
        raise MalExportError("invalid_file", [_("The gzip file is truncated.")])
    return bytes(out)


class _ExportReader:
    """Streams expat events into entries; refuses DOCTYPE and entity declarations."""

    def __init__(self) -> None:
        self.entries: list[MalEntry] = []
        self.errors: list[str] = []
        self.export_type: str = ""
        self._stack: list[str] = []
        self._fields: dict[str, str] | None = None
        self._text: list[str] = []
        self._count = 0
        self._saw_root = False

    def parse(self, data: bytes) -> list[MalEntry]:
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse_doctype
        parser.EntityDeclHandler = self._refuse_entity
        parser.ExternalEntityRefHandler = self._refuse_external
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._chars
        try:
            parser.Parse(data, True)
        except expat.ExpatError as exc:
            message = _("The file is not well-formed XML: %(e)s (line %(line)s, column %(col)s).") % {
                "e": expat.errors.messages[exc.code],
                "line": exc.lineno,
                "col": exc.offset,
            }
            raise MalExportError("invalid_file", [message]) from exc
        if not self._saw_root:
            raise MalExportError("invalid_file", [_("This is not a MyAnimeList export.")])
        if self.export_type and self.export_type.strip() not in {"", "1"}:
            raise MalExportError("invalid_file", [_("This is not an anime list export (manga?).")])
        if self.errors:
            raise MalExportError("invalid_file", self.errors[:MAX_REPORTED_ERRORS])
        return self.entries

    def _refuse_doctype(self, *args: object) -> None:
        raise MalExportError("invalid_file", [_("DOCTYPE declarations are not allowed.")])

    def _refuse_entity(self, *args: object) -> None:
        raise MalExportError("invalid_file", [_("Entity declarations are not allowed.")])

    def _refuse_external(self, *args: object) -> int:
        raise MalExportError("invalid_file", [_("External entities are not allowed.")])

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        depth = len(self._stack)
        self._stack.append(name)
        if depth == 0:
            if name != "myanimelist":
                raise MalExportError("invalid_file", [_("This is not a MyAnimeList export.")])
            self._saw_root = True
        elif depth == 1 and name == "anime":
            self._fields = {}
        self._text = []

    def _chars(self, text: str) -> None:
        self._text.append(text)

    def _end(self, name: str) -> None:
        self._stack.pop()
        depth = len(self._stack)
        if depth == 2 and self._stack[1] == "anime" and self._fields is not None and name in _ENTRY_FIELDS:
            self._fields[name] = "".join(self._text).strip()
        elif depth == 2 and self._stack[1] == "myinfo" and name == "user_export_type":
            self.export_type = "".join(self._text).strip()
        elif depth == 1 and name == "anime" and self._fields is not None:
            self._count += 1
            self._entry_finish(self._fields)
            self._fields = None
        self._text = []

    def _entry_finish(self, fields: dict[str, str]) -> None:
        where = _("entry %(n)d") % {"n": self._count}
        raw_id = fields.get("series_animedb_id", "")
        if not raw_id.isdigit() or int(raw_id) == 0:
            self.errors.append(
                _("%(where)s: series_animedb_id %(v)r is not a MAL id.") % {"where": where, "v": raw_id}
            )
            return
        where = _("entry %(n)d (MAL id %(id)s)") % {"n": self._count, "id": raw_id}
        raw_status = fields.get("my_status", "").strip().lower()
        status = STATUS_MAP.get(raw_status)
        if status is None:
            self.errors.append(_("%(where)s: unknown my_status %(v)r.") % {"where": where, "v": raw_status})
        raw_score = fields.get("my_score", "") or "0"
        score: int | None = None
        if not raw_score.isdigit() or int(raw_score) > 10:
            self.errors.append(_("%(where)s: my_score %(v)r is not 0-10.") % {"where": where, "v": raw_score})
        elif int(raw_score) > 0:
            score = int(raw_score)
        raw_updated = fields.get("my_last_updated", "") or "0"
        if not raw_updated.isdigit():
            self.errors.append(
                _("%(where)s: my_last_updated %(v)r is not a Unix time.") % {"where": where, "v": raw_updated}
            )
            return
        if status is None:
            return
        self.entries.append(
            MalEntry(
                mal_id=int(raw_id),
                title=fields.get("series_title", "")[:255],
                status=status,
                score=score,
                last_updated=int(raw_updated) or None,
            )
        )


def parse_mal_export(data: bytes) -> list[MalEntry]:
    """Every ``<anime>`` entry of an export, in file order. Raises :class:`MalExportError`."""
    return _ExportReader().parse(data)


# --- Applying an import ------------------------------------------------------------------

IMPORT_STALE_AFTER = timedelta(hours=1)
IMPORT_PROGRESS_EVERY = 50
MAX_REPORTED_IDS = 1000


def import_progress_key(job_id: int) -> str:
    return f"favorites:import:{job_id}:processed"


def mal_import_start(
    *,
    user: User,
    upload: IO[bytes],
    filename: str,
    size: int | None,
    on_conflict: str = ImportJob.OnConflict.SKIP,
) -> ImportJob:
    """Validate an export in full and queue its import; a bad file raises before anything is stored."""
    if on_conflict not in ImportJob.OnConflict.values:
        raise ApplicationError(
            _("Invalid input."),
            code="invalid",
            extra={
                "fields": {"on_conflict": [_("Use one of: %s.") % ", ".join(ImportJob.OnConflict.values)]}
            },
        )
    try:
        entries = parse_mal_export(read_upload(upload, size=size))
    except MalExportError as exc:
        raise ApplicationError(exc.errors[0], code=exc.code, extra={"fields": {"file": exc.errors}}) from exc
    job = ImportJob.objects.create(
        user=user,
        on_conflict=on_conflict,
        filename=filename[:255],
        entries=[entry.as_json() for entry in entries],
        total=len(entries),
    )
    from favorites.tasks import mal_import_run

    job_id = job.pk
    transaction.on_commit(lambda: mal_import_run.delay(job_id))
    return job


def mal_import_execute(*, job_id: int, now: datetime | None = None) -> ImportJob | None:
    """Apply a pending import in one transaction: all of it, or (on any error) none of it.

    Safe to run twice: only a pending job (or one left running by a crashed worker for over an
    hour) is claimed. Returns the job, or None when it does not exist.
    """
    now = now or timezone.now()
    claimable = Q(status=ImportJob.Status.PENDING) | Q(
        status=ImportJob.Status.RUNNING, started_at__lt=now - IMPORT_STALE_AFTER
    )
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportJob.Status.RUNNING, started_at=now, processed=0
    )
    job = ImportJob.objects.filter(pk=job_id).select_related("user").first()
    if job is None or not claimed:
        return job
    try:
        with transaction.atomic():
            summary = _mal_import_apply(job=job)
    except Exception as exc:
        logger.exception("MyAnimeList import %s failed", job_id)
        job.status = ImportJob.Status.FAILED
        job.error = f"{type(exc).__name__}: {exc}"[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        cache.delete(import_progress_key(job_id))
        return job
    job.status = ImportJob.Status.SUCCEEDED
    job.summary = summary
    job.processed = job.total
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "summary", "processed", "finished_at"])
    cache.delete(import_progress_key(job_id))
    return job


def _mal_import_apply(*, job: ImportJob) -> dict[str, Any]:
    user = job.user
    collection_lock(user=user)
    # A MAL id listed twice: the later line wins (as MyAnimeList itself would show it).
    latest: dict[int, MalEntry] = {}
    for raw in job.entries:
        entry = MalEntry.from_json(raw)
        latest[entry.mal_id] = entry
    entries = list(latest.values())
    mal_ids = [e.mal_id for e in entries]
    anime_by_mal: dict[int, Anime] = {}
    existing: dict[int, CollectionEntry] = {}
    for start in range(0, len(mal_ids), 1000):
        chunk = mal_ids[start : start + 1000]
        for found in Anime.objects.visible_to(user).filter(mal_id__in=chunk):
            if found.mal_id is not None:  # always set here; anime without one cannot match
                anime_by_mal[found.mal_id] = found
    anime_ids = [a.pk for a in anime_by_mal.values()]
    for start in range(0, len(anime_ids), 1000):
        for row in CollectionEntry.objects.filter(user=user, anime_id__in=anime_ids[start : start + 1000]):
            existing[row.anime_id] = row

    counts = {"imported": 0, "updated": 0, "unchanged": 0, "overwritten": 0}
    unknown: list[int] = []
    conflicts: list[dict[str, Any]] = []
    new_entries: list[tuple[CollectionEntry, datetime | None]] = []
    for position, mal in enumerate(entries, start=1):
        if position % IMPORT_PROGRESS_EVERY == 0:
            cache.set(import_progress_key(job.pk), position, timeout=3600)
        anime = anime_by_mal.get(mal.mal_id)
        if anime is None:
            unknown.append(mal.mal_id)
            continue
        mal_time = datetime.fromtimestamp(mal.last_updated, tz=UTC) if mal.last_updated else None
        current = existing.get(anime.pk)
        # MAL score 0 means "not scored": it never clears a score given on this site.
        score = mal.score if mal.score is not None else (current.score if current else None)
        if current is not None and current.status == mal.status and current.score == score:
            counts["unchanged"] += 1
            continue
        if current is not None and (mal_time is None or current.updated_at > mal_time):
            conflict = {
                "mal_id": mal.mal_id,
                "anime_id": anime.pk,
                "title": anime.title,
                "reason": "no_mal_timestamp" if mal_time is None else "site_entry_newer",
                "site": {"status": current.status, "score": current.score},
                "file": {"status": mal.status, "score": mal.score},
            }
            if job.on_conflict != ImportJob.OnConflict.OVERWRITE:
                conflicts.append(conflict)
                continue
            counts["overwritten"] += 1
        if current is None:
            new_entries.append(
                (
                    CollectionEntry(
                        user=user, anime=anime, status=mal.status, score=score, source=Source.MAL_IMPORT
                    ),
                    mal_time,
                )
            )
            counts["imported"] += 1
            continue
        collection_entry_upsert(
            user=user,
            anime=anime,
            status=mal.status,
            score=score,
            source=Source.MAL_IMPORT,
            occurred_at=mal_time,
        )
        counts["updated"] += 1

    # New entries in bulk: the collection lock is held and existing rows were read above, so
    # nothing can collide. Each still gets its "list" event through the one recording function.
    collection_entries_bulk_create(user=user, rows=new_entries, source=Source.MAL_IMPORT)

    return {
        "total": len(job.entries),
        "distinct": len(entries),
        "duplicates": len(job.entries) - len(entries),
        **counts,
        "conflicts": len(conflicts),
        "conflict_entries": conflicts[:MAX_REPORTED_IDS],
        "unknown": len(unknown),
        "unknown_ids": unknown[:MAX_REPORTED_IDS],
    }
