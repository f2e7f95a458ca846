"""An import accepted is never left pending: a hung broker refuses it cleanly (503, job failed),
and jobs no worker took up are queued again, or failed with a message when far too old."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from animesite.celery import app as celery_app
from favorites import mal_import as mal
from favorites import tasks
from favorites.models import ImportJob
from tests.factories import AnimeFactory
from tests.faults.proxy import FaultProxy
from tests.favorites.test_mal_import import mal_entry, mal_xml

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hung_broker() -> Iterator[FaultProxy]:
    """Celery publishing for real (not eagerly) to a Redis that accepts and never answers, with the
    project's broker settings."""
    parsed = urlparse(settings.REDIS_URL)
    proxy = FaultProxy(parsed.hostname or "127.0.0.1", parsed.port or 6379)
    proxy.set_mode("hang")
    saved = {
        key: celery_app.conf.get(key)
        for key in (
            "task_always_eager",
            "broker_url",
            "broker_transport_options",
            "broker_connection_timeout",
        )
    }
    celery_app.conf.update(
        task_always_eager=False,
        broker_url=f"redis://127.0.0.1:{proxy.port}{parsed.path or '/0'}",
        broker_transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        broker_connection_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
    )
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield proxy
    celery_app.conf.update(saved)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    proxy.close()


def test_an_import_sent_to_a_hung_broker_is_refused_not_left_pending(user_client, hung_broker):
    AnimeFactory(mal_id=1)
    answers: list = []

    def post() -> None:
        answers.append(
            user_client.post(
                "/api/collection/import/",
                {"file": SimpleUploadedFile("a.xml", mal_xml(mal_entry(1)), content_type="application/xml")},
                format="multipart",
            )
        )

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    thread.join(timeout=60)  # without socket timeouts the publish waits forever
    assert answers, "the upload still waits on the hung broker"
    response = answers[0]
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "import_queue_unavailable"
    assert hung_broker.swallowed_chunks > 0  # it did reach the (hung) broker
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED


def _job(user, *, status: str, age: timedelta, started_age: timedelta | None = None) -> ImportJob:
    job = ImportJob.objects.create(user=user, status=status, entries=[], total=0)
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=now - age, started_at=None if started_age is None else now - started_age
    )
    return job


def test_jobs_no_worker_took_up_are_queued_again_and_very_old_ones_failed(user, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(tasks.mal_import_run, "apply_async", lambda args, **kw: queued.append(args[0]))
    lost = _job(user, status="pending", age=timedelta(minutes=3))
    fresh = _job(user, status="pending", age=timedelta(seconds=20))
    dead_worker = _job(user, status="running", age=timedelta(hours=2), started_age=timedelta(minutes=90))
    working = _job(user, status="running", age=timedelta(minutes=5), started_age=timedelta(minutes=4))
    ancient = _job(user, status="pending", age=timedelta(hours=7))

    counts = mal.mal_imports_requeue()

    assert sorted(queued) == sorted([lost.pk, dead_worker.pk])
    assert counts == {"requeued": 2, "failed": 1}
    ancient.refresh_from_db()
    assert ancient.status == ImportJob.Status.FAILED and "never run" in ancient.error
    for job in (fresh, working):
        job.refresh_from_db()
    assert (fresh.status, working.status) == ("pending", "running")


def test_a_requeue_while_the_broker_is_down_fails_the_job_cleanly(user, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.mal_import_run, "apply_async", broker_down)
    lost = _job(user, status="pending", age=timedelta(minutes=3))
    mal.mal_imports_requeue()
    lost.refresh_from_db()
    assert lost.status == ImportJob.Status.FAILED
    assert "could not be queued" in lost.error


def test_a_requeued_job_runs_once(user, django_capture_on_commit_callbacks):
    AnimeFactory(mal_id=7)
    data = mal_xml(mal_entry(7))
    with django_capture_on_commit_callbacks(execute=True):  # eager: runs at once
        job = mal.mal_import_start(user=user, upload=io.BytesIO(data), filename="a.xml", size=len(data))
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert mal.mal_imports_requeue() == {"requeued": 0, "failed": 0}  # finished: not touched
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED and job.summary["imported"] == 1
