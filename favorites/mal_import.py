"""The MyAnimeList list import: reading an export safely, then applying it to a collection.

Flow: ``mal_import_start`` (in the request) reads and validates the whole upload with
``parse_mal_export`` and stores the normalised rows in an ``ImportJob``; the Celery task
``favorites.tasks.mal_import_run`` calls ``mal_import_execute``, which applies them in one
transaction through the collection services (so every change is recorded as a behaviour event).

Reading and writing the XML: ``favorites.mal_xml`` and ``favorites.mal_writer``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from activity.models import Source
from animesite.exceptions import ApplicationError
from catalog.models import Anime
from favorites.mal_xml import MalEntry, MalExport, MalExportError, read_mal_export, read_upload
from favorites.models import CollectionEntry, ImportJob
from favorites.services import collection_entries_bulk_create, collection_entry_upsert, collection_lock

logger = logging.getLogger(__name__)

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
        export = read_mal_export(read_upload(upload, size=size))
    except MalExportError as exc:
        raise ApplicationError(exc.errors[0], code=exc.code, extra={"fields": {"file": exc.errors}}) from exc
    job = ImportJob.objects.create(
        user=user,
        on_conflict=on_conflict,
        filename=filename[:255],
        entries=[entry.as_json() for entry in export.entries],
        total=len(export.entries),
        summary=_skipped_report(export),
    )
    job_id = job.pk
    transaction.on_commit(lambda: _enqueue(job_id))
    if not transaction.get_connection().in_atomic_block:
        job.refresh_from_db(fields=["status", "error", "finished_at", "summary", "processed"])
        if job.status == ImportJob.Status.FAILED and job.error == _queue_unavailable_message():
            raise ApplicationError(
                job.error,
                code="import_queue_unavailable",
                extra={"job_id": job.pk, "retry_after": 60},
                status=503,
            )
    return job


def _skipped_report(export: MalExport) -> dict[str, Any]:
    return {"skipped": export.skipped_count, "skipped_entries": [entry.as_json() for entry in export.skipped]}


def _queue_unavailable_message() -> str:
    return _(
        "The import could not be queued (the task queue is unreachable). "
        "Nothing was imported; please try again in a minute."
    )


def _enqueue(job_id: int) -> None:
    """Queue the job, or mark it failed when the broker is unreachable (never left pending)."""
    from favorites.tasks import mal_import_run

    try:
        mal_import_run.apply_async((job_id,), retry=False)
    except Exception:  # kombu/redis connection errors: the broker is down
        logger.warning("MyAnimeList import %s could not be queued", job_id, exc_info=True)
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
            status=ImportJob.Status.FAILED, error=_queue_unavailable_message(), finished_at=timezone.now()
        )


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
    job.summary = {
        **summary,
        **{k: job.summary.get(k) for k in ("skipped", "skipped_entries") if k in job.summary},
    }
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
    capped: list[int] = []
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
        # MAL score 0 and date 0000-00-00 mean "unknown": they never clear a value set on this site.
        score = mal.score if mal.score is not None else (current.score if current else None)
        start_date = mal.start_date or (current.start_date if current else None)
        finish_date = mal.finish_date or (current.finish_date if current else None)
        if start_date and finish_date and finish_date < start_date:
            start_date, finish_date = mal.start_date, mal.finish_date
        episodes = mal.episodes_watched
        if anime.episodes and episodes > anime.episodes:
            episodes = anime.episodes
            capped.append(mal.mal_id)
        values: dict[str, Any] = {
            "status": mal.status,
            "score": score,
            "episodes_watched": episodes,
            "rewatch_count": mal.rewatch_count,
            "start_date": start_date,
            "finish_date": finish_date,
        }
        if current is not None and all(getattr(current, name) == value for name, value in values.items()):
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
                    CollectionEntry(user=user, anime=anime, source=Source.MAL_IMPORT, **values),
                    mal_time,
                )
            )
            counts["imported"] += 1
            continue
        collection_entry_upsert(
            user=user, anime=anime, source=Source.MAL_IMPORT, occurred_at=mal_time, **values
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
        "episodes_capped": len(capped),
        "episodes_capped_ids": capped[:MAX_REPORTED_IDS],
    }
