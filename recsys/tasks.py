"""Celery tasks of the recommender: thin interfaces over the registry's services."""

from __future__ import annotations

import logging

from celery import shared_task

from recsys.registry import TrainingAlreadyRunning, model_version_train

logger = logging.getLogger(__name__)


@shared_task(ignore_result=False, acks_late=False)
def train_recsys_task(force: bool = False) -> dict[str, object]:
    """Retrain, evaluate, gate and promote (on the ``training`` queue; nightly and on demand).

    Safe to enqueue twice: the second run finds the training lock taken and returns at once.
    """
    try:
        model_version = model_version_train(force=force, progress=lambda message: logger.info("%s", message))
    except TrainingAlreadyRunning:
        logger.info("a retrain is already running; nothing to do")
        return {"status": "already_running"}
    return {
        "status": model_version.status,
        "version": model_version.version,
        "primary_metric": model_version.primary_metric,
        "gate": model_version.gate,
    }
