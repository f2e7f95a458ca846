"""A MyAnimeList import is applied in batches inside the job: one transaction per batch, progress
and counts committed in the job row with each batch, a failed batch rolled back alone, and a job
left running by a crashed worker resumed after its last committed batch."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from activity.models import Interaction
from favorites import mal_import as mal
from favorites.models import CollectionEntry, ImportJob
from tests.factories import AnimeFactory, UserFactory
from tests.favorites.test_mal_import import mal_entry, mal_xml

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(mal, "IMPORT_BATCH_SIZE", 3)


def _start(user, *entries: str) -> ImportJob:
    data = mal_xml(*entries)
    job = mal.mal_import_start(user=user, upload=io.BytesIO(data), filename="a.xml", size=len(data))
    job.refresh_from_db()
    return job


def _queued(monkeypatch) -> list[int]:
    """Keep jobs pending (the test runs them), as a busy worker would."""
    from favorites import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.mal_import_run, "apply_async", lambda args, **kw: queued.append(args[0]))
    return queued


def test_each_batch_commits_its_progress_and_counts_in_the_job_row(small_batches, monkeypatch):
    user = UserFactory()
    anime = [AnimeFactory(mal_id=100 + i) for i in range(7)]
    _queued(monkeypatch)
    # 8 lines: 7 anime, the first listed again last (the later line wins, across batches),
    # and one MAL id the catalogue does not have.
    job = _start(
        user,
        *[mal_entry(a.mal_id, "Completed", 7) for a in anime],
        mal_entry(999_999, "Completed", 5),
        mal_entry(anime[0].mal_id, "Dropped", 3),
    )
    assert job.status == ImportJob.Status.PENDING and job.total == 9
    seen: list[tuple[int, int, bool]] = []
    real_batch = mal._mal_import_batch

    def watching(*, job, entries, summary):
        # What another connection (the progress endpoint) reads while the job runs.
        with connection.cursor() as cursor:
            cursor.execute("SELECT processed FROM favorites_importjob WHERE id = %s", [job.pk])
            (processed,) = cursor.fetchone()
        seen.append((processed, len(entries), connection.in_atomic_block))
        real_batch(job=job, entries=entries, summary=summary)

    monkeypatch.setattr(mal, "_mal_import_batch", watching)

    result = mal.mal_import_execute(job_id=job.pk)

    assert result is not None and result.status == ImportJob.Status.SUCCEEDED, result.error
    # Three batches of three lines; the first line of anime[0] is left out (listed again later).
    assert seen == [(0, 2, True), (3, 3, True), (6, 3, True)]
    job.refresh_from_db()
    assert job.processed == 9
    summary = job.summary
    assert summary["batches"] == 3
    assert (summary["total"], summary["distinct"], summary["duplicates"]) == (9, 8, 1)
    assert (summary["imported"], summary["unknown"], summary["unknown_ids"]) == (7, 1, [999_999])
    assert CollectionEntry.objects.get(user=user, anime=anime[0]).status == "dropped"
    assert CollectionEntry.objects.filter(user=user).count() == 7


def test_a_failed_batch_rolls_back_alone_and_the_job_says_how_far_it_got(small_batches, monkeypatch):
    user = UserFactory()
    anime = [AnimeFactory(mal_id=200 + i) for i in range(7)]
    _queued(monkeypatch)
    job = _start(user, *[mal_entry(a.mal_id, "Completed", 8) for a in anime])
    real_batch = mal._mal_import_batch
    calls = [0]

    def failing_second(*, job, entries, summary):
        calls[0] += 1
        real_batch(job=job, entries=entries, summary=summary)  # writes, then fails: rolled back
        if calls[0] == 2:
            raise RuntimeError("connection lost")

    monkeypatch.setattr(mal, "_mal_import_batch", failing_second)

    result = mal.mal_import_execute(job_id=job.pk)

    assert result is not None and result.status == ImportJob.Status.FAILED
    assert result.error.startswith("The import stopped after 3 of 7 entries")
    assert "connection lost" not in result.error
    job.refresh_from_db()
    assert job.processed == 3
    assert job.summary["imported"] == 3 and job.summary["batches"] == 1
    kept = set(CollectionEntry.objects.filter(user=user).values_list("anime__mal_id", flat=True))
    assert kept == {200, 201, 202}
    assert Interaction.objects.filter(user=user).count() == 3

    # Importing the same file again finishes it; the first batch is reported unchanged.
    monkeypatch.setattr(mal, "_mal_import_batch", real_batch)
    again = _start(user, *[mal_entry(a.mal_id, "Completed", 8) for a in anime])
    done = mal.mal_import_execute(job_id=again.pk)
    assert done is not None and done.status == ImportJob.Status.SUCCEEDED
    assert (done.summary["unchanged"], done.summary["imported"]) == (3, 4)
    assert CollectionEntry.objects.filter(user=user).count() == 7


def test_a_job_left_running_by_a_crashed_worker_resumes_after_its_last_batch(small_batches, monkeypatch):
    user = UserFactory()
    anime = [AnimeFactory(mal_id=300 + i) for i in range(5)]
    _queued(monkeypatch)
    job = _start(user, *[mal_entry(a.mal_id, "Watching", 6) for a in anime])
    # A worker applied the first batch, then died (the row says so; its rows were committed).
    first = mal.mal_import_execute(job_id=job.pk)
    assert first is not None and first.status == ImportJob.Status.SUCCEEDED
    CollectionEntry.objects.filter(user=user, anime__mal_id__in=[303, 304]).delete()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        processed=3,
        started_at=timezone.now() - mal.IMPORT_STALE_AFTER - timedelta(minutes=1),
        summary={**first.summary, "imported": 3, "batches": 1},
    )
    applied: list[list[int]] = []
    real_batch = mal._mal_import_batch

    def recording(*, job, entries, summary):
        applied.append([e.mal_id for e in entries])
        real_batch(job=job, entries=entries, summary=summary)

    monkeypatch.setattr(mal, "_mal_import_batch", recording)

    resumed = mal.mal_import_execute(job_id=job.pk)

    assert resumed is not None and resumed.status == ImportJob.Status.SUCCEEDED
    assert applied == [[303, 304]]
    assert (resumed.summary["imported"], resumed.summary["batches"]) == (5, 2)
    assert CollectionEntry.objects.filter(user=user).count() == 5


def test_progress_endpoint_reads_the_job_row(user_client, user, monkeypatch, small_batches):
    _queued(monkeypatch)
    anime = [AnimeFactory(mal_id=400 + i) for i in range(4)]
    job = _start(user, *[mal_entry(a.mal_id) for a in anime])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, processed=3)
    body = user_client.get(f"/api/collection/import/{job.pk}/").json()
    assert (body["status"], body["processed"], body["progress"]) == ("running", 3, 0.75)
