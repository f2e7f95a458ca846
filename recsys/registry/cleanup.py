"""Removing what the registry no longer needs: failed runs' files, old versions, stray keys."""

from __future__ import annotations

import logging
import re
import traceback

import redis
from django.utils import timezone

from animesite.storage import Location
from recsys.models import ModelVersion
from recsys.registry.storage import models_location, version_delete
from recsys.selectors import model_version_active
from recsys.serving.store import namespace_delete, namespace_versions

logger = logging.getLogger(__name__)

KEEP_VERSIONS = 3
VERSION_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")


def models_dir() -> Location:
    """The store holding one folder per version (``settings.MODELS_DIR``, a path or URI)."""
    return models_location()


def _error_text(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text[-20000:]


def artifacts_remove(model_version: ModelVersion) -> None:
    """Delete the version's folder and Redis namespace (never the one the pointer names)."""
    if model_version.artifact_dir:
        try:
            version_delete(model_version.version, model_version.artifact_dir)
        except OSError:
            logger.warning("could not delete the files of %s", model_version.version, exc_info=True)
    try:
        namespace_delete(model_version.version)
    except redis.RedisError:
        logger.warning("could not delete the Redis namespace of %s", model_version.version, exc_info=True)
    model_version.artifacts_present = False


def model_version_mark_failed(model_version: ModelVersion, exc: BaseException, *, stage: str) -> None:
    """Record ``exc`` on the row, mark it failed and remove its files."""
    model_version.status = ModelVersion.Status.FAILED
    model_version.error = f"{stage}: {exc!r}\n\n{_error_text(exc)}"
    model_version.finished_at = timezone.now()
    artifacts_remove(model_version)
    model_version.save(update_fields=["status", "error", "finished_at", "artifacts_present"])


def interrupted_mark_failed() -> list[str]:
    """Rows left in ``training`` by a killed process: their run is over, their files are junk.

    Call only while holding the training lock (or after checking nobody holds it): a live run's
    row is also in ``training``. Returns the versions marked failed.
    """
    marked: list[str] = []
    for stale in ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING):
        stale.status = ModelVersion.Status.FAILED
        stale.error = stale.error or "interrupted: the training process stopped before it finished"
        stale.finished_at = stale.finished_at or timezone.now()
        artifacts_remove(stale)
        stale.save(update_fields=["status", "error", "finished_at", "artifacts_present"])
        marked.append(stale.version)
    return marked


def model_versions_cleanup(*, keep: int = KEEP_VERSIONS) -> list[str]:
    """Keep the folders and Redis namespaces of the active version and the latest others.

    Everything else (older archived, rejected, failed versions and stray folders) is removed.
    Returns the removed version names.
    """
    active = model_version_active()
    kept: list[ModelVersion] = [active] if active else []
    for candidate in ModelVersion.objects.filter(
        artifacts_present=True, status__in=[ModelVersion.Status.ARCHIVED, ModelVersion.Status.READY]
    ).order_by("-created_at", "-id"):
        if len(kept) >= keep:
            break
        if active is None or candidate.pk != active.pk:
            kept.append(candidate)
    kept_names = {mv.version for mv in kept}
    training = set(
        ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).values_list("version", flat=True)
    )
    removed: list[str] = []
    for mv in ModelVersion.objects.filter(artifacts_present=True).exclude(version__in=kept_names | training):
        artifacts_remove(mv)
        mv.save(update_fields=["artifacts_present"])
        removed.append(mv.version)
    root = models_dir()
    if root.is_dir():
        for folder in root.children():
            name = folder.name
            if VERSION_PATTERN.match(name) and name not in kept_names | training and folder.is_dir():
                version_delete(name, str(folder))
                if name not in removed:
                    removed.append(name)
    for version in namespace_versions() - kept_names - training:
        namespace_delete(version)
    return removed
