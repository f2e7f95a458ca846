"""Publishing a trained version: its vectors to the online store, then the active pointer.

The version's item and user vectors go to its own Redis namespace first; the single
``recsys:active`` pointer is flipped last, inside the database transaction that marks the row
active, so serving never sees half a model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import redis
from django.db import transaction
from django.utils import timezone

from animesite.exceptions import ApplicationError
from recsys.models import ModelVersion
from recsys.pipeline.contract import Bundle, LoadFn, ProgressFn
from recsys.registry.storage import version_local_dir
from recsys.selectors import user_histories_all, users_with_history_count
from recsys.serving.store import (
    HistoryStamp,
    active_version_read_batch,
    active_version_write,
    item_vectors_write,
    user_vectors_write,
)

logger = logging.getLogger(__name__)


def _quiet(message: str) -> None:
    logger.info("%s", message)


def default_load_fn() -> LoadFn:
    """The pipeline's bundle loader (imported on first use: training-only dependencies)."""
    from recsys.pipeline.bundle import load_bundle

    fn: LoadFn = load_bundle
    return fn


def item_vectors_publish(*, version: str, bundle: Bundle) -> int:
    """Write the version's item vectors to its Redis namespace; returns how many."""
    ids, matrix = bundle.item_vectors()
    return item_vectors_write(version=version, anime_ids=ids, matrix=matrix)


def user_vectors_publish(*, version: str, bundle: Bundle, progress: ProgressFn = _quiet) -> int:
    """Write every user's vector for ``version`` to its Redis namespace, pipelined in batches.

    Users with a collection (data-set and site users alike) are covered; each vector carries the
    stamp of the history it was computed from. Returns the number of vectors written.
    """
    total = users_with_history_count()

    def vectors() -> Iterator[tuple[int, list[float], HistoryStamp]]:
        for user_id, history in user_histories_all():
            vector = bundle.user_vector(history.items)
            if vector is not None:
                yield user_id, vector, history.stamp

    return user_vectors_write(
        version=version,
        vectors=vectors(),
        on_batch=lambda written: progress(f"user vectors: {written}/{total}"),
        promoted_at=timezone.now().isoformat(),
    )


def pointer_flip(model_version: ModelVersion) -> None:
    """Mark the version active in the database and point ``recsys:active`` at it, together.

    The pointer is written inside the database transaction, as its last step: if Redis refuses,
    the database rolls back; if the commit fails, the previous pointer is put back.
    """
    previous = active_version_read_batch()
    try:
        with transaction.atomic():
            ModelVersion.objects.select_for_update().filter(status=ModelVersion.Status.ACTIVE).exclude(
                pk=model_version.pk
            ).update(status=ModelVersion.Status.ARCHIVED)
            model_version.status = ModelVersion.Status.ACTIVE
            model_version.activated_at = timezone.now()
            model_version.save(update_fields=["status", "activated_at", "gate"])
            active_version_write(model_version.version)
    except BaseException:
        try:
            if active_version_read_batch() == model_version.version:
                active_version_write(previous)
        except redis.RedisError:
            logger.exception("could not restore the previous active pointer")
        raise


def model_version_activate(
    *, model_version: ModelVersion, load_fn: LoadFn | None = None, progress: ProgressFn = _quiet
) -> ModelVersion:
    """Publish a trained version's vectors and make it the one serving traffic.

    Used by promotion and by operators rolling back to an archived version. The caller holds
    the training lock.

    Raises
    ------
    ApplicationError
        ``artifacts_missing`` when the version's folder is gone.
    redis.RedisError
        When Redis fails while publishing (the active version is unchanged).
    """
    folder = (
        version_local_dir(model_version.version, model_version.artifact_dir)
        if model_version.artifacts_present
        else None
    )
    if folder is None:
        raise ApplicationError(
            f"The artifacts of {model_version.version} are gone; it cannot be activated.",
            code="artifacts_missing",
        )
    bundle = (load_fn or default_load_fn())(folder)
    started = time.perf_counter()
    items = item_vectors_publish(version=model_version.version, bundle=bundle)
    written = user_vectors_publish(version=model_version.version, bundle=bundle, progress=progress)
    publish_seconds = time.perf_counter() - started
    progress(
        f"published {items} item and {written} user vectors in {publish_seconds:.1f}s; "
        "flipping the active pointer"
    )
    pointer_flip(model_version)
    model_version.timings = {**model_version.timings, "publish_vectors": round(publish_seconds, 3)}
    model_version.save(update_fields=["timings"])
    return model_version
