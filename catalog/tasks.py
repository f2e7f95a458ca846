from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, time_limit=300)
def search_sync_anime(anime_ids: list[int]) -> None:
    """Re-index (or remove, when hidden or deleted) the given anime in the search index."""
    from catalog.search.indexing import index_anime

    index_anime(anime_ids=anime_ids)
