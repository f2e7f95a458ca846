from __future__ import annotations

import logging

from celery import shared_task
from elastic_transport import ConnectionError, ConnectionTimeout

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    ignore_result=True,
    time_limit=300,
    soft_time_limit=240,
    autoretry_for=(ConnectionError, ConnectionTimeout),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def search_sync_anime(anime_ids: list[int]) -> None:
    """Write the current state of the given anime to the search index (deleted ones are removed).

    Hidden anime stay in the index, flagged, so staff can still find them; everyone else's searches
    filter them out. Idempotent: it always writes what the database holds now, so a retry or a
    duplicate delivery is harmless. Retries while the search server is unreachable.
    """
    from catalog.search.indexing import index_anime

    index_anime(anime_ids=anime_ids)
