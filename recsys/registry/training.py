"""Retraining, end to end: lock, train, record, gate, publish, clean up; and operator actions.

A version moves ``training -> ready -> active`` (or ``rejected`` by the quality gate, or
``failed``); the previously active one becomes ``archived``. A training that fails or is killed
leaves the active version serving.
"""

from __future__ import annotations

import logging
import secrets
import time

from django.db import transaction
from django.utils import timezone

from animesite.exceptions import ApplicationError
from recsys.models import ModelVersion
from recsys.pipeline.contract import LoadFn, ProgressFn, TrainFn, TrainReport
from recsys.registry.cleanup import (
    interrupted_mark_failed,
    model_version_mark_failed,
    model_versions_cleanup,
)
from recsys.registry.gate import quality_gate
from recsys.registry.lock import TrainingAlreadyRunning, TrainingLock, training_running
from recsys.registry.publishing import model_version_activate
from recsys.registry.storage import version_artifact_dir, version_upload, version_work_dir
from recsys.selectors import model_version_active

logger = logging.getLogger(__name__)


def _quiet(message: str) -> None:
    logger.info("%s", message)


def version_name_new() -> str:
    return f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def default_train_fn() -> TrainFn:
    """The pipeline's ``train_bundle`` (imported on first use: training-only dependencies)."""
    from recsys.pipeline.train import train_bundle

    fn: TrainFn = train_bundle
    return fn


def _protocol(model_version: ModelVersion) -> int:
    """The evaluation protocol a version's metrics were measured under (1 before it was recorded)."""
    value = (model_version.extra or {}).get("evaluation_protocol", 1)
    return int(value) if isinstance(value, int | float) else 1


def _report_record(model_version: ModelVersion, report: TrainReport) -> None:
    model_version.params = dict(report.params)
    model_version.metrics = {name: dict(values) for name, values in report.metrics.items()}
    model_version.timings = {stage: round(float(sec), 3) for stage, sec in report.timings.items()}
    model_version.primary_metric = float(report.primary_metric)
    model_version.n_users = report.n_users
    model_version.n_items = report.n_items
    model_version.extra = dict(report.extra)
    model_version.status = ModelVersion.Status.READY
    model_version.finished_at = timezone.now()
    model_version.save(
        update_fields=[
            "params",
            "metrics",
            "timings",
            "primary_metric",
            "n_users",
            "n_items",
            "extra",
            "status",
            "finished_at",
        ]
    )


def model_version_train(
    *,
    force: bool = False,
    seed: int = 42,
    progress: ProgressFn = _quiet,
    train_fn: TrainFn | None = None,
    load_fn: LoadFn | None = None,
) -> ModelVersion:
    """Train, evaluate, gate and (when it passes) promote a new model version.

    Parameters
    ----------
    force : bool
        Promote even when the new version scores below the active one.
    seed : int
        Seed for every random step of training.
    progress : callable
        Receives human-readable progress lines.
    train_fn, load_fn : callable, optional
        The pipeline's ``train_bundle`` and ``load_bundle`` (the defaults).

    Returns
    -------
    ModelVersion
        The new row: ``active``, ``rejected`` or ``failed`` (with ``error``).

    Raises
    ------
    TrainingAlreadyRunning
        When another retrain holds the lock.
    """
    train = train_fn or default_train_fn()
    with TrainingLock():
        interrupted_mark_failed()
        version = version_name_new()
        out_dir = version_work_dir(version)
        model_version = ModelVersion.objects.create(
            version=version, status=ModelVersion.Status.TRAINING, artifact_dir=version_artifact_dir(version)
        )
        progress(f"training {version} into {model_version.artifact_dir}")
        started = time.perf_counter()
        try:
            out_dir.mkdir(parents=True, exist_ok=False)
            model_version.artifacts_present = True
            model_version.save(update_fields=["artifacts_present"])
            train_report = train(out_dir=out_dir, progress=progress, seed=seed)
            version_upload(version, out_dir)
            _report_record(model_version, train_report)
        except BaseException as exc:
            model_version_mark_failed(model_version, exc, stage="training failed")
            if not isinstance(exc, Exception):
                raise
            progress(f"training failed: {exc!r}")
            return model_version
        train_seconds = time.perf_counter() - started

        active = model_version_active()
        decision = quality_gate(
            candidate=model_version.primary_metric,
            active=active.primary_metric if active else None,
            force=force,
            comparable=active is None or _protocol(active) == _protocol(model_version),
        )
        model_version.gate = decision.reason
        progress(f"quality gate: {decision.reason}")
        if decision.promote:
            try:
                model_version_activate(model_version=model_version, load_fn=load_fn, progress=progress)
            except BaseException as exc:
                model_version_mark_failed(model_version, exc, stage="promotion failed")
                if not isinstance(exc, Exception):
                    raise
                progress(f"promotion failed: {exc!r}; the active version is unchanged")
                return model_version
        else:
            model_version.status = ModelVersion.Status.REJECTED
            model_version.save(update_fields=["status", "gate"])

        removed = model_versions_cleanup()
        if removed:
            progress(f"removed old versions: {', '.join(removed)}")
        model_version.timings = {
            **model_version.timings,
            "total": round(time.perf_counter() - started, 3),
            "train_total": round(train_seconds, 3),
        }
        model_version.save(update_fields=["timings"])
        return model_version


def model_version_rollback(
    *, model_version: ModelVersion, load_fn: LoadFn | None = None, progress: ProgressFn = _quiet
) -> ModelVersion:
    """Make an earlier version (whose artifacts are kept) the active one again."""
    if model_version.status not in {ModelVersion.Status.ARCHIVED, ModelVersion.Status.READY}:
        raise ApplicationError(
            f"Only an archived or ready version can be activated ({model_version.version} is "
            f"{model_version.status}).",
            code="not_activatable",
        )
    with TrainingLock():
        model_version.gate = f"activated by an operator at {timezone.now():%Y-%m-%d %H:%M}"
        return model_version_activate(model_version=model_version, load_fn=load_fn, progress=progress)


def retrain_enqueue(*, force: bool = False) -> None:
    """Queue a retrain on the ``training`` queue once the current transaction commits.

    Raises
    ------
    TrainingAlreadyRunning
        When a retrain holds the lock now (the queued task would return at once anyway).
    """
    if training_running():
        raise TrainingAlreadyRunning()
    from recsys.tasks import train_recsys_task  # the task module imports this one

    transaction.on_commit(lambda: train_recsys_task.delay(force=force))


def training_interrupted_mark_failed() -> list[str]:
    """Mark failed the rows of runs that died without cleaning up, when no retrain is running.

    A row stays ``training`` only while its run holds the lock, so a free lock means those rows
    are orphans (a worker killed mid-training). Returns the versions marked failed.
    """
    if training_running():
        return []
    return interrupted_mark_failed()
