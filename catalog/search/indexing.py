"""Search index maintenance. Filled in by the search feature."""

from __future__ import annotations

import logging
from collections.abc import Sequence

logger = logging.getLogger(__name__)


def index_anime(*, anime_ids: Sequence[int]) -> None:
    logger.debug("search index not configured yet; %d anime not indexed", len(anime_ids))


def rebuild_index(*, progress: bool = True) -> int:
    """Build a fresh index from the database and swap it in; returns the number of documents."""
    logger.debug("search index not configured yet")
    return 0
