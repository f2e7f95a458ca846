"""The data-set load's step for users and their lists (run by ``catalog.loading.catalog_load``,
listed in ``settings.DATA_LOAD_STEPS`` after the catalogue).

Data-set users become login-less accounts (``accounts.services.dataset_users_ensure``); each of
their list entries becomes a collection entry (``favorites.services.dataset_entries_sync``) and a
``list`` event in the behaviour log (``activity.services.dataset_list_events_sync``), both keyed by
(user, anime). Users are handled ``USERS_PER_CHUNK`` at a time, one transaction per chunk.
"""

from __future__ import annotations

import logging

from django.db import transaction

from accounts.services import dataset_users_ensure
from activity.services import SyncCounts, dataset_list_events_sync
from catalog.loading.base import LoadContext, TableStats, read_columns
from favorites.services import dataset_entries_sync

logger = logging.getLogger(__name__)

USERS_PER_CHUNK = 250


def dataset_lists_load(context: LoadContext) -> None:
    """Load the ETL's ``users`` and ``interactions`` tables (needs ``context.anime_ids``)."""
    user_stats = context.stats("dataset users")
    (dataset_ids,) = read_columns(context.etl_dir, "users", ["dataset_user_id"])
    with context.bar(total=len(dataset_ids), desc="dataset users", unit="user") as bar:
        users = dataset_users_ensure(dataset_ids=dataset_ids)
        bar.update(len(dataset_ids))
    user_stats.created += users.created
    user_stats.unchanged += users.unchanged

    log_stats = context.stats("interactions")
    entry_stats = context.stats("collection entries")
    user_column, mal_ids, scores = read_columns(
        context.etl_dir, "interactions", ["dataset_user_id", "mal_id", "score"]
    )
    by_user: dict[int, dict[int, int | None]] = {}
    skipped = 0
    for dataset_id, mal_id, score in zip(user_column, mal_ids, scores, strict=True):
        user_id = users.ids.get(dataset_id)
        anime_id = context.anime_ids.get(mal_id)
        if user_id is None or anime_id is None:
            skipped += 1
            continue
        by_user.setdefault(user_id, {})[anime_id] = None if score is None else int(score)
    if skipped:
        logger.warning("%d data-set interactions skipped: unknown user or anime", skipped)

    ordered = sorted(by_user)
    with context.bar(total=len(user_column) - skipped, desc="interactions", unit="entry") as bar:
        for start in range(0, len(ordered), USERS_PER_CHUNK):
            chunk = ordered[start : start + USERS_PER_CHUNK]
            with transaction.atomic():
                _add(log_stats, dataset_list_events_sync(users=chunk, wanted=by_user))
                _add(entry_stats, dataset_entries_sync(users=chunk, wanted=by_user))
            bar.update(sum(len(by_user[u]) for u in chunk))


def _add(stats: TableStats, counts: SyncCounts) -> None:
    stats.created += counts.created
    stats.updated += counts.updated
    stats.unchanged += counts.unchanged
