"""The MyAnimeList list import: reading an export safely, then applying it to a collection.

Flow: ``mal_import_start`` (in the request) reads and validates the whole upload with
``read_mal_export`` and stores the normalised rows in an ``ImportJob``; the Celery task
``favorites.tasks.mal_import_run`` calls ``mal_import_execute``, which applies them in batches,
one transaction each, through the collection services (so every change is recorded as a
behaviour event), committing progress and counts with each batch.

Reading and writing the XML: ``favorites.mal_xml`` and ``favorites.mal_writer``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from activity.models import Source
from animesite.exceptions import ApplicationError
from catalog.models import Anime
from favorites.mal_xml import (
    MAX_REPORTED_TITLE,
    MalEntry,
    MalExport,
    MalExportError,
    read_mal_export,
    read_upload,
)
from favorites.models import CollectionEntry, ImportJob
from favorites.services import collection_entries_bulk_create, collection_entry_upsert, collection_lock

logger = logging.getLogger(__name__)

# --- Applying an import ------------------------------------------------------------------

IMPORT_STALE_AFTER = timedelta(hours=1)
# Entries applied per transaction: bounds the rows held in memory and the time the user's
# collection lock is held; progress and counts are committed with each batch.
IMPORT_BATCH_SIZE = 500
MAX_REPORTED_IDS = 1000


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


IMPORT_REQUEUE_AFTER = timedelta(minutes=2)
IMPORT_GIVE_UP_AFTER = timedelta(hours=6)


def _never_ran_message() -> str:
    return _("The import was never run (the task queue lost it). Nothing was imported; please try again.")


def mal_imports_requeue(*, now: datetime | None = None) -> dict[str, int]:
    """Queue again the imports no worker took up, so none is left pending (run every few minutes).

    A job still pending ``IMPORT_REQUEUE_AFTER`` after it was created (the broker lost the
    message, or accepted it during an outage and no worker was reachable), or left running by a
    dead worker for ``IMPORT_STALE_AFTER`` (it resumes after its last committed batch), is queued
    again: running a job twice is safe (only one run claims it). A pending job older than
    ``IMPORT_GIVE_UP_AFTER`` is marked failed with a message instead. Returns the counts
    ``{"requeued", "failed"}``.
    """
    now = now or timezone.now()
    failed = ImportJob.objects.filter(
        status=ImportJob.Status.PENDING, created_at__lt=now - IMPORT_GIVE_UP_AFTER
    ).update(status=ImportJob.Status.FAILED, error=_never_ran_message(), finished_at=now)
    stuck = ImportJob.objects.filter(
        Q(status=ImportJob.Status.PENDING, created_at__lt=now - IMPORT_REQUEUE_AFTER)
        | Q(status=ImportJob.Status.RUNNING, started_at__lt=now - IMPORT_STALE_AFTER)
    ).values_list("pk", flat=True)
    requeued = 0
    for job_id in list(stuck[:1000]):
        _enqueue(job_id)
        requeued += 1
    if requeued or failed:
        logger.warning("MyAnimeList imports: %d queued again, %d failed (never run)", requeued, failed)
    return {"requeued": requeued, "failed": failed}


def mal_import_execute(*, job_id: int, now: datetime | None = None) -> ImportJob | None:
    """Apply a pending import in batches of ``IMPORT_BATCH_SIZE`` entries, one transaction each.

    After every batch the job row holds how far it got (``processed``) and the counts so far
    (``summary``), so progress is visible while it runs and memory stays bounded by one batch of
    catalogue rows. A batch that fails is rolled back whole and the job is marked failed with a
    message saying how many entries were applied before it (those stay: importing the same file
    again reports them as unchanged).

    Safe to run twice: only a pending job (or one left running by a crashed worker for over an
    hour, which resumes after its last committed batch) is claimed. Returns the job, or None when
    it does not exist.
    """
    now = now or timezone.now()
    claimable = Q(status=ImportJob.Status.PENDING) | Q(
        status=ImportJob.Status.RUNNING, started_at__lt=now - IMPORT_STALE_AFTER
    )
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportJob.Status.RUNNING, started_at=now
    )
    job = ImportJob.objects.filter(pk=job_id).select_related("user").first()
    if job is None or not claimed:
        return job
    try:
        _mal_import_apply(job=job)
    except Exception:
        logger.exception(
            "MyAnimeList import %s failed after %s of %s entries", job_id, job.processed, job.total
        )
        job.refresh_from_db(fields=["processed", "summary"])  # what the committed batches hold
        job.status = ImportJob.Status.FAILED
        job.error = _(
            "The import stopped after %(done)s of %(total)s entries (those were imported). "
            "Please import the file again: entries already imported are reported as unchanged."
        ) % {"done": f"{job.processed:,}", "total": f"{job.total:,}"}
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    job.status = ImportJob.Status.SUCCEEDED
    job.processed = job.total
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "processed", "finished_at"])
    return job


_COUNTS = ("imported", "updated", "unchanged", "overwritten")
_LISTS = {"conflicts": "conflict_entries", "unknown": "unknown_ids", "episodes_capped": "episodes_capped_ids"}


def _mal_import_apply(*, job: ImportJob) -> None:
    """Every batch from ``job.processed`` on; the summary and progress committed with each batch."""
    # A MAL id listed twice: the later line wins (as MyAnimeList itself would show it).
    last_position = {int(raw["mal_id"]): position for position, raw in enumerate(job.entries)}
    summary: dict[str, Any] = {
        "total": len(job.entries),
        "distinct": len(last_position),
        "duplicates": len(job.entries) - len(last_position),
        **{name: 0 for name in _COUNTS},
        **{name: 0 for name in _LISTS},
        **{listed: [] for listed in _LISTS.values()},
        "batches": 0,
        **job.summary,  # the parse's skipped entries, and the counts of batches already applied
    }
    for start in range(job.processed, len(job.entries), IMPORT_BATCH_SIZE):
        end = min(start + IMPORT_BATCH_SIZE, len(job.entries))
        batch = [
            MalEntry.from_json(job.entries[position])
            for position in range(start, end)
            if last_position[int(job.entries[position]["mal_id"])] == position
        ]
        with transaction.atomic():
            collection_lock(user=job.user)
            _mal_import_batch(job=job, entries=batch, summary=summary)
            summary["batches"] += 1
            job.processed = end
            job.summary = summary
            job.save(update_fields=["processed", "summary"])


def _mal_import_batch(*, job: ImportJob, entries: list[MalEntry], summary: dict[str, Any]) -> None:
    """Apply one batch (inside its transaction, collection lock held); counts added to ``summary``."""
    user = job.user
    anime_by_mal: dict[int, Anime] = {}
    for found in Anime.objects.visible_to(user).filter(mal_id__in=[e.mal_id for e in entries]):
        if found.mal_id is not None:  # always set here; anime without one cannot match
            anime_by_mal[found.mal_id] = found
    existing = {
        row.anime_id: row
        for row in CollectionEntry.objects.filter(
            user=user, anime_id__in=[a.pk for a in anime_by_mal.values()]
        )
    }

    def listed(name: str, item: Any) -> None:
        summary[name] += 1
        if len(summary[_LISTS[name]]) < MAX_REPORTED_IDS:
            summary[_LISTS[name]].append(item)

    new_entries: list[tuple[CollectionEntry, datetime | None]] = []
    for mal in entries:
        anime = anime_by_mal.get(mal.mal_id)
        if anime is None:
            listed("unknown", mal.mal_id)
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
            listed("episodes_capped", mal.mal_id)
        values: dict[str, Any] = {
            "status": mal.status,
            "score": score,
            "episodes_watched": episodes,
            "rewatch_count": mal.rewatch_count,
            "start_date": start_date,
            "finish_date": finish_date,
        }
        if current is not None and all(getattr(current, name) == value for name, value in values.items()):
            summary["unchanged"] += 1
            continue
        if current is not None and (mal_time is None or current.updated_at > mal_time):
            conflict = {
                "mal_id": mal.mal_id,
                "anime_id": anime.pk,
                "title": anime.title[:MAX_REPORTED_TITLE],
                "reason": "no_mal_timestamp" if mal_time is None else "site_entry_newer",
                "site": {"status": current.status, "score": current.score},
                "file": {"status": mal.status, "score": mal.score},
            }
            if job.on_conflict != ImportJob.OnConflict.OVERWRITE:
                listed("conflicts", conflict)
                continue
            summary["overwritten"] += 1
        if current is None:
            new_entries.append(
                (
                    CollectionEntry(user=user, anime=anime, source=Source.MAL_IMPORT, **values),
                    mal_time,
                )
            )
            summary["imported"] += 1
            continue
        collection_entry_upsert(
            user=user, anime=anime, source=Source.MAL_IMPORT, occurred_at=mal_time, **values
        )
        summary["updated"] += 1

    # New entries in bulk: the collection lock is held and existing rows were read above, so
    # nothing can collide. Each still gets its "list" event through the one recording function.
    collection_entries_bulk_create(user=user, rows=new_entries, source=Source.MAL_IMPORT)
