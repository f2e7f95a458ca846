"""The model registry: train a version, judge it, publish it, keep the last few.

A version moves ``training -> ready -> active`` (or ``rejected`` by the quality gate, or ``failed``);
the previously active one becomes ``archived``. Publishing writes the version's user vectors under
its own Redis namespace first and flips the single ``recsys:active`` pointer last, so serving
never sees half a model, and a training that fails or is killed leaves the active version serving.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import shutil
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from animesite.exceptions import ApplicationError
from recsys.models import ModelVersion
from recsys.pipeline.contract import Bundle, LoadFn, ProgressFn, TrainFn, TrainReport
from recsys.selectors import model_version_active, user_histories_all, users_with_history_count
from recsys.serving.store import (
    ACTIVE_KEY,
    BATCH_TIMEOUT_SECONDS,
    NAMESPACE_PREFIX,
    item_vectors_key,
    meta_key,
    pack_item_vector,
    pack_user_vector,
    redis_client,
    user_vectors_key,
)

logger = logging.getLogger(__name__)

LOCK_KEY = "recsys:train-lock"
LOCK_TTL_SECONDS = 30 * 60  # renewed on every progress message while training
KEEP_VERSIONS = 3
WRITE_BATCH = 1000
VERSION_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")

_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""


class TrainingAlreadyRunning(ApplicationError):
    def __init__(self) -> None:
        super().__init__("A retrain is already running.", code="training_running", status=409)


class TrainingLock:
    """A Redis lock (``SET NX`` with an expiry and a random token) so two retrains never overlap.

    The expiry frees the lock when a worker is killed; a live training renews it as it reports
    progress. Only the holder of the token can renew or release it.
    """

    def __init__(self, *, ttl: int = LOCK_TTL_SECONDS) -> None:
        self.ttl = ttl
        self.token = secrets.token_hex(16)
        self._client = redis_client(timeout=BATCH_TIMEOUT_SECONDS)
        self._renewed_at = 0.0

    def acquire(self) -> bool:
        try:
            acquired = bool(self._client.set(LOCK_KEY, self.token, nx=True, ex=self.ttl))
        except redis.RedisError as exc:
            raise ApplicationError(
                "Redis is unreachable: cannot take the training lock.", code="redis_unavailable", status=503
            ) from exc
        self._renewed_at = time.monotonic()
        return acquired

    def renew(self, *, min_interval: float = 10.0) -> None:
        now = time.monotonic()
        if now - self._renewed_at < min_interval:
            return
        self._renewed_at = now
        try:
            if not self._client.eval(_RENEW_SCRIPT, 1, LOCK_KEY, self.token, str(self.ttl)):
                logger.warning("training lock lost (expired); another retrain may start")
        except redis.RedisError:
            logger.warning("could not renew the training lock", exc_info=True)

    def release(self) -> None:
        try:
            self._client.eval(_RELEASE_SCRIPT, 1, LOCK_KEY, self.token)
        except redis.RedisError:
            logger.warning("could not release the training lock; it expires by itself", exc_info=True)

    def __enter__(self) -> TrainingLock:
        if not self.acquire():
            raise TrainingAlreadyRunning()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def quality_gate(*, candidate: float | None, active: float | None, force: bool = False) -> GateDecision:
    """Promote only a version that is not worse than the active one on the primary metric.

    The first version always passes; ``force`` lets an operator override the comparison.
    """
    if candidate is None or math.isnan(candidate):
        if force:
            return GateDecision(True, "forced (no primary metric)")
        return GateDecision(False, "rejected: no primary metric")
    if active is None:
        return GateDecision(True, f"promoted: first version ({candidate:.4f})")
    if candidate >= active:
        return GateDecision(True, f"promoted: {candidate:.4f} >= active {active:.4f}")
    if force:
        return GateDecision(True, f"forced: {candidate:.4f} < active {active:.4f}")
    return GateDecision(False, f"rejected: {candidate:.4f} < active {active:.4f}")


def models_dir() -> Path:
    return Path(settings.MODELS_DIR).resolve()


def version_name_new() -> str:
    return f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _default_train_fn() -> TrainFn:
    from recsys.pipeline.train import train_bundle

    fn: TrainFn = train_bundle
    return fn


def _default_load_fn() -> LoadFn:
    from recsys.pipeline.bundle import load_bundle

    fn: LoadFn = load_bundle
    return fn


def _quiet(message: str) -> None:
    logger.info("%s", message)


def _error_text(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text[-20000:]


def _remove_artifacts(model_version: ModelVersion) -> None:
    """Delete the version's folder and Redis namespace (never the one the pointer names)."""
    if model_version.artifact_dir:
        shutil.rmtree(model_version.artifact_dir, ignore_errors=True)
    try:
        _namespace_delete(model_version.version)
    except redis.RedisError:
        logger.warning("could not delete the Redis namespace of %s", model_version.version, exc_info=True)
    model_version.artifacts_present = False


def _namespace_delete(version: str) -> None:
    client = redis_client(timeout=BATCH_TIMEOUT_SECONDS)
    if client.get(ACTIVE_KEY) == version.encode():
        return
    client.delete(meta_key(version), user_vectors_key(version), item_vectors_key(version))


def _mark_failed(model_version: ModelVersion, exc: BaseException, *, stage: str) -> None:
    model_version.status = ModelVersion.Status.FAILED
    model_version.error = f"{stage}: {exc!r}\n\n{_error_text(exc)}"
    model_version.finished_at = timezone.now()
    _remove_artifacts(model_version)
    model_version.save(update_fields=["status", "error", "finished_at", "artifacts_present"])


def _interrupted_mark_failed() -> None:
    """Rows left in ``training`` by a killed process: their run is over, their files are junk."""
    for stale in ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING):
        stale.status = ModelVersion.Status.FAILED
        stale.error = stale.error or "interrupted: the training process stopped before it finished"
        stale.finished_at = stale.finished_at or timezone.now()
        _remove_artifacts(stale)
        stale.save(update_fields=["status", "error", "finished_at", "artifacts_present"])


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


def item_vectors_publish(*, version: str, bundle: Bundle) -> int:
    """Write the version's item vectors to its Redis namespace; returns how many."""
    client = redis_client(timeout=BATCH_TIMEOUT_SECONDS)
    key = item_vectors_key(version)
    client.delete(key)
    ids, matrix = bundle.item_vectors()
    pipe = client.pipeline(transaction=False)
    for start in range(0, len(ids), WRITE_BATCH):
        batch = {
            str(int(a)): pack_item_vector(v)
            for a, v in zip(
                ids[start : start + WRITE_BATCH], matrix[start : start + WRITE_BATCH], strict=True
            )
        }
        pipe.hset(key, mapping=batch)  # type: ignore[arg-type]
    pipe.execute()
    return len(ids)


def user_vectors_publish(*, version: str, bundle: Bundle, progress: ProgressFn = _quiet) -> int:
    """Write every user's vector for ``version`` to its Redis namespace, pipelined in batches.

    Users with a collection (data-set and site users alike) are covered; each vector carries the
    stamp of the history it was computed from. Returns the number of vectors written.
    """
    client = redis_client(timeout=BATCH_TIMEOUT_SECONDS)
    key = user_vectors_key(version)
    client.delete(key, meta_key(version))
    total = users_with_history_count()
    pipe = client.pipeline(transaction=False)
    written = pending = dim = 0
    for user_id, history in user_histories_all():
        vector = bundle.user_vector(history.items)
        if vector is None:
            continue
        dim = len(vector)
        pipe.hset(key, str(user_id), pack_user_vector(vector, history.stamp))
        written += 1
        pending += 1
        if pending >= WRITE_BATCH:
            pipe.execute()
            pending = 0
            progress(f"user vectors: {written}/{total}")
    if pending:
        pipe.execute()
    client.hset(
        meta_key(version),
        mapping={"dim": dim, "n_users": written, "promoted_at": timezone.now().isoformat()},
    )
    return written


def _pointer_flip(model_version: ModelVersion) -> None:
    """Mark the version active in the database and point ``recsys:active`` at it, together.

    The pointer is written inside the database transaction, as its last step: if Redis refuses,
    the database rolls back; if the commit fails, the previous pointer is put back.
    """
    client = redis_client(timeout=BATCH_TIMEOUT_SECONDS)
    previous = client.get(ACTIVE_KEY)
    try:
        with transaction.atomic():
            ModelVersion.objects.select_for_update().filter(status=ModelVersion.Status.ACTIVE).exclude(
                pk=model_version.pk
            ).update(status=ModelVersion.Status.ARCHIVED)
            model_version.status = ModelVersion.Status.ACTIVE
            model_version.activated_at = timezone.now()
            model_version.save(update_fields=["status", "activated_at", "gate"])
            client.set(ACTIVE_KEY, model_version.version)
    except BaseException:
        try:
            if client.get(ACTIVE_KEY) == model_version.version.encode():
                if previous is None:
                    client.delete(ACTIVE_KEY)
                else:
                    client.set(ACTIVE_KEY, previous)
        except redis.RedisError:
            logger.exception("could not restore the previous active pointer")
        raise


def model_version_activate(
    *, model_version: ModelVersion, load_fn: LoadFn | None = None, progress: ProgressFn = _quiet
) -> ModelVersion:
    """Publish a trained version's vectors and make it the one serving traffic.

    Used by promotion and by operators rolling back to an archived version. The caller holds
    the training lock.
    """
    if not model_version.artifacts_present or not Path(model_version.artifact_dir).is_dir():
        raise ApplicationError(
            f"The artifacts of {model_version.version} are gone; it cannot be activated.",
            code="artifacts_missing",
        )
    bundle = (load_fn or _default_load_fn())(Path(model_version.artifact_dir))
    started = time.perf_counter()
    items = item_vectors_publish(version=model_version.version, bundle=bundle)
    written = user_vectors_publish(version=model_version.version, bundle=bundle, progress=progress)
    publish_seconds = time.perf_counter() - started
    progress(
        f"published {items} item and {written} user vectors in {publish_seconds:.1f}s; "
        "flipping the active pointer"
    )
    _pointer_flip(model_version)
    model_version.timings = {**model_version.timings, "publish_vectors": round(publish_seconds, 3)}
    model_version.save(update_fields=["timings"])
    return model_version


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
        _remove_artifacts(mv)
        mv.save(update_fields=["artifacts_present"])
        removed.append(mv.version)
    root = models_dir()
    if root.is_dir():
        for folder in root.iterdir():
            name = folder.name
            if folder.is_dir() and VERSION_PATTERN.match(name) and name not in kept_names | training:
                shutil.rmtree(folder, ignore_errors=True)
                if name not in removed:
                    removed.append(name)
    client = redis_client(timeout=BATCH_TIMEOUT_SECONDS)
    for raw_key in client.scan_iter(match=f"{NAMESPACE_PREFIX}*", count=500):
        key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
        version = key[len(NAMESPACE_PREFIX) :].split(":", 1)[0]
        if version not in kept_names | training:
            _namespace_delete(version)
    return removed


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
    train = train_fn or _default_train_fn()
    with TrainingLock() as lock:

        def report(message: str) -> None:
            lock.renew()
            progress(message)

        _interrupted_mark_failed()
        version = version_name_new()
        out_dir = models_dir() / version
        model_version = ModelVersion.objects.create(
            version=version, status=ModelVersion.Status.TRAINING, artifact_dir=str(out_dir)
        )
        report(f"training {version} into {out_dir}")
        started = time.perf_counter()
        try:
            out_dir.mkdir(parents=True, exist_ok=False)
            model_version.artifacts_present = True
            model_version.save(update_fields=["artifacts_present"])
            train_report = train(out_dir=out_dir, progress=report, seed=seed)
            _report_record(model_version, train_report)
        except BaseException as exc:
            _mark_failed(model_version, exc, stage="training failed")
            if not isinstance(exc, Exception):
                raise
            report(f"training failed: {exc!r}")
            return model_version
        train_seconds = time.perf_counter() - started

        active = model_version_active()
        decision = quality_gate(
            candidate=model_version.primary_metric,
            active=active.primary_metric if active else None,
            force=force,
        )
        model_version.gate = decision.reason
        report(f"quality gate: {decision.reason}")
        if decision.promote:
            try:
                model_version_activate(model_version=model_version, load_fn=load_fn, progress=report)
            except BaseException as exc:
                _mark_failed(model_version, exc, stage="promotion failed")
                if not isinstance(exc, Exception):
                    raise
                report(f"promotion failed: {exc!r}; the active version is unchanged")
                return model_version
        else:
            model_version.status = ModelVersion.Status.REJECTED
            model_version.save(update_fields=["status", "gate"])

        removed = model_versions_cleanup()
        if removed:
            report(f"removed old versions: {', '.join(removed)}")
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
