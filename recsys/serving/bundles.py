"""The active model version, loaded once per process and reloaded when the pointer moves.

The ``recsys:active`` pointer is re-read at most every ``CHECK_INTERVAL_SECONDS``. When Redis is
down, the database's active row names the version instead (and answers are flagged degraded).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from django.db import DatabaseError

from recsys.models import ModelVersion
from recsys.pipeline.contract import Bundle
from recsys.serving.store import active_version_read

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 3.0


@dataclass(frozen=True)
class ActiveModel:
    """What serving can use right now.

    ``problem`` says why there is no bundle (``no_model``, ``artifact_missing``, ``load_failed``);
    ``redis_ok`` is False when the pointer could not be read from Redis.
    """

    version: str | None
    bundle: Bundle | None
    problem: str | None
    redis_ok: bool

    @property
    def degraded(self) -> bool:
        return self.bundle is None or not self.redis_ok


@dataclass(frozen=True)
class _State:
    model: ActiveModel
    checked_at: float


_state: _State | None = None
_lock = threading.Lock()


def bundle_loader(path: Path) -> Bundle:
    """Load a version's artifacts (the training pipeline's ``load_bundle``)."""
    from recsys.pipeline.bundle import load_bundle

    bundle: Bundle = load_bundle(path)
    return bundle


def artifact_path(version: str) -> Path | None:
    """A local folder with the version's files (``MODELS_DIR`` may be a URI: fetched once)."""
    from recsys.registry.storage import version_local_dir

    try:
        return version_local_dir(version)
    except OSError:
        logger.exception("could not fetch the artifacts of %s", version)
        return None


def _version_read() -> tuple[str | None, bool]:
    try:
        return active_version_read(), True
    except redis.RedisError:
        logger.warning("Redis unreachable: reading the active version from the database")
    try:
        row = (
            ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
            .order_by("-activated_at")
            .values_list("version", flat=True)
            .first()
        )
    except DatabaseError:
        logger.exception("could not read the active model version")
        row = None
    return row, False


def _refresh(previous: _State | None) -> ActiveModel:
    version, redis_ok = _version_read()
    if version is None:
        return ActiveModel(version=None, bundle=None, problem="no_model", redis_ok=redis_ok)
    path = artifact_path(version)
    if path is None:
        logger.error("artifacts of the active version %s are missing at %s", version, path)
        return ActiveModel(version=version, bundle=None, problem="artifact_missing", redis_ok=redis_ok)
    if previous is not None and previous.model.version == version and previous.model.bundle is not None:
        return ActiveModel(version=version, bundle=previous.model.bundle, problem=None, redis_ok=redis_ok)
    started = time.perf_counter()
    try:
        bundle = bundle_loader(path)
    except Exception:
        logger.exception("could not load model version %s", version)
        return ActiveModel(version=version, bundle=None, problem="load_failed", redis_ok=redis_ok)
    logger.info("loaded model version %s in %.2fs", version, time.perf_counter() - started)
    _heap_settle(replaced=previous is not None and previous.model.bundle is not None)
    return ActiveModel(version=version, bundle=bundle, problem=None, redis_ok=redis_ok)


def _heap_settle(*, replaced: bool) -> None:
    """Move what is alive now (the application, the new bundle) out of the garbage collector's
    sight: a full collection otherwise walks all of it and stalls every thread of the worker for
    tens of milliseconds. When a bundle was replaced, collect first so the old one's cycles go."""
    if replaced:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


def active_model() -> ActiveModel:
    """The active version and its loaded bundle (or why there is none); cheap to call per request."""
    global _state
    state = _state
    now = time.monotonic()
    if state is not None and now - state.checked_at < CHECK_INTERVAL_SECONDS:
        return state.model
    # One thread refreshes; the others keep answering with what is loaded.
    if not _lock.acquire(blocking=state is None):
        return state.model if state is not None else active_model()
    try:
        state = _state
        if state is None or time.monotonic() - state.checked_at >= CHECK_INTERVAL_SECONDS:
            state = _State(model=_refresh(state), checked_at=time.monotonic())
            _state = state
        return state.model
    finally:
        _lock.release()


def active_model_forget() -> None:
    """Drop the loaded bundle so the next call reads the pointer again."""
    global _state
    with _lock:
        _state = None
