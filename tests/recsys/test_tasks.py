"""Retraining from Celery, the command line and the admin; the nightly schedule."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from recsys import registry
from recsys.models import ModelVersion
from recsys.registry import TrainingLock
from recsys.serving.store import ACTIVE_KEY, redis_client
from recsys.tasks import train_recsys_task
from tests.factories import AnimeFactory, UserFactory
from tests.recsys.serving_fakes import fake_load, fake_train

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(settings, tmp_path, monkeypatch):
    """The registry's default train/load functions replaced by the fake pipeline."""
    settings.MODELS_DIR = str(tmp_path / "models")
    anime = [AnimeFactory.create() for _ in range(2)]
    state: dict[str, Any] = {
        "vectors": {anime[0].id: [1.0, 0.0], anime[1].id: [0.0, 1.0]},
        "metric": 0.3,
        "fail": None,
    }

    def train_fn(**kwargs):
        return fake_train(state["vectors"], primary_metric=state["metric"], fail=state["fail"])(**kwargs)

    monkeypatch.setattr(registry.training, "default_train_fn", lambda: train_fn)
    monkeypatch.setattr(registry.publishing, "default_load_fn", lambda: fake_load)
    return state


def test_task_trains_and_promotes(pipeline):
    # when
    result: dict[str, Any] = train_recsys_task.delay().get()
    # then
    assert result["status"] == "active"
    assert redis_client().get(ACTIVE_KEY) == result["version"].encode()
    assert ModelVersion.objects.get(version=result["version"]).primary_metric == 0.3


def test_task_returns_early_when_a_retrain_is_running(pipeline):
    # given
    lock = TrainingLock(ttl=60)
    assert lock.acquire()
    # when
    result = train_recsys_task.delay().get()
    lock.release()
    # then
    assert result == {"status": "already_running"}
    assert ModelVersion.objects.count() == 0


def test_task_is_routed_to_the_training_queue(settings):
    assert settings.CELERY_TASK_ROUTES["recsys.tasks.train_recsys_task"] == {"queue": "training"}
    assert train_recsys_task.name == "recsys.tasks.train_recsys_task"


def test_command_prints_progress_timings_and_metrics(pipeline):
    # when
    out = io.StringIO()
    call_command("train_recsys", stdout=out)
    # then
    text = out.getvalue()
    mv = ModelVersion.objects.get()
    assert mv.status == ModelVersion.Status.ACTIVE
    assert f"version {mv.version}: active" in text
    assert "walks: 10/10" in text  # progress from the pipeline
    assert "word2vec" in text and "2.2" in text  # per-stage timings
    assert "publish_vectors" in text
    assert "ease" in text and "0.2500" in text  # metrics next to the baselines


def test_command_if_none_skips_when_a_version_is_active(pipeline):
    # given
    call_command("train_recsys", stdout=io.StringIO())
    # when
    out = io.StringIO()
    call_command("train_recsys", "--if-none", stdout=out)
    # then
    assert "nothing to do" in out.getvalue()
    assert ModelVersion.objects.count() == 1


def test_command_force_and_failure(pipeline):
    # given
    call_command("train_recsys", stdout=io.StringIO())
    pipeline["metric"] = 0.1
    # when a worse version is forced
    call_command("train_recsys", "--force", stdout=io.StringIO())
    assert ModelVersion.objects.latest().status == ModelVersion.Status.ACTIVE
    # when training fails
    pipeline["fail"] = RuntimeError("out of memory")
    with pytest.raises(CommandError, match="training failed"):
        call_command("train_recsys", stdout=io.StringIO())
    assert ModelVersion.objects.latest().status == ModelVersion.Status.FAILED


# --- schedule ----------------------------------------------------------------------------


def test_setup_schedules_creates_the_nightly_retrain_once_and_keeps_admin_edits():
    # when
    call_command("setup_schedules", stdout=io.StringIO())
    # then
    task = PeriodicTask.objects.get(name="nightly-retrain")
    assert task.task == "recsys.tasks.train_recsys_task"
    assert task.queue == "training"
    assert (task.crontab.hour, task.crontab.minute) == ("3", "30")
    assert task.enabled

    # given an operator moves it to 04:00 in the admin
    task.crontab = CrontabSchedule.objects.create(hour="4", minute="0")
    task.save()
    # when the command runs again (bootstrap is idempotent)
    call_command("setup_schedules", stdout=io.StringIO())
    # then the edit stays
    assert PeriodicTask.objects.get(name="nightly-retrain").crontab.hour == "4"
    assert PeriodicTask.objects.filter(name="nightly-retrain").count() == 1
    # and --reset restores the default
    call_command("setup_schedules", "--reset", stdout=io.StringIO())
    assert PeriodicTask.objects.get(name="nightly-retrain").crontab.hour == "3"


# --- admin -------------------------------------------------------------------------------


@pytest.fixture
def admin_client_logged_in(client):
    admin = UserFactory.create(username="operator", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_lists_versions_with_metrics_chart_and_active_badge(pipeline, admin_client_logged_in):
    # given
    call_command("train_recsys", stdout=io.StringIO())
    pipeline["metric"] = 0.1
    call_command("train_recsys", stdout=io.StringIO())
    # when
    response = admin_client_logged_in.get("/admin/recsys/modelversion/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "★ ACTIVE" in html
    assert "Rejected by the quality gate" in html
    assert "<svg" in html and "models vs baselines" in html
    assert "0.2500 (ease)" in html  # best baseline next to the pipeline
    assert "Retrain now" in html
    # and the detail page shows the metrics table
    mv = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).get()
    detail = admin_client_logged_in.get(f"/admin/recsys/modelversion/{mv.pk}/change/")
    assert detail.status_code == 200
    assert "ndcg@20" in detail.content.decode()


def test_admin_retrain_button_queues_the_task_after_commit(
    pipeline, admin_client_logged_in, monkeypatch, django_capture_on_commit_callbacks
):
    # given
    queued: list[dict[str, object]] = []
    monkeypatch.setattr(train_recsys_task, "delay", lambda **kwargs: queued.append(kwargs))
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client_logged_in.post("/admin/recsys/modelversion/retrain/")
    # then: nothing is sent before the commit
    assert response.status_code == 302
    assert queued == []
    for callback in callbacks:
        callback()
    assert queued == [{"force": False}]
    assert admin_client_logged_in.get("/admin/recsys/modelversion/retrain/").status_code == 405


def test_admin_rollback_action(pipeline, admin_client_logged_in):
    # given
    call_command("train_recsys", stdout=io.StringIO())
    pipeline["metric"] = 0.5
    call_command("train_recsys", stdout=io.StringIO())
    old = ModelVersion.objects.get(status=ModelVersion.Status.ARCHIVED)
    # when
    response = admin_client_logged_in.post(
        "/admin/recsys/modelversion/", {"action": "activate_version", "_selected_action": [old.pk]}
    )
    # then
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.status == ModelVersion.Status.ACTIVE
    assert redis_client().get(ACTIVE_KEY) == old.version.encode()
