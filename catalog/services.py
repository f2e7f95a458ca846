"""Writes to the catalogue."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction


def anime_changed(*, anime_ids: Iterable[int]) -> None:
    """Call after any write to anime rows (admin edits, bulk actions, imports).

    Propagates the change to the search index through a Celery task once the transaction
    commits, never inside the request.
    """
    ids = sorted({int(i) for i in anime_ids})
    if not ids:
        return
    from catalog.tasks import search_sync_anime

    transaction.on_commit(lambda: search_sync_anime.delay(ids))
