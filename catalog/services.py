"""Writes to the catalogue."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from catalog.models import Anime

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def anime_changed(*, anime_ids: Iterable[int]) -> None:
    """Call after any write to anime rows (admin edits, bulk actions, imports).

    Propagates the change to the search index through a Celery task once the transaction
    commits, never inside the request.
    """
    ids = sorted({int(i) for i in anime_ids})
    if not ids:
        return
    from catalog.tasks import search_sync_anime

    # robust: a broker outage must not turn a committed edit into an error page.
    transaction.on_commit(lambda: search_sync_anime.delay(ids), robust=True)


@transaction.atomic
def anime_set_featured(*, anime_ids: Iterable[int], featured: bool) -> int:
    """Feature or unfeature anime (operator curation); returns how many rows changed."""
    ids = sorted({int(i) for i in anime_ids})
    changed = (
        Anime.objects.filter(id__in=ids)
        .exclude(is_featured=featured)
        .update(is_featured=featured, updated_at=timezone.now())
    )
    anime_changed(anime_ids=ids)
    return changed


@transaction.atomic
def anime_set_hidden(*, anime_ids: Iterable[int], hidden: bool) -> int:
    """Hide anime from every visitor but staff, or show them again; returns how many rows changed."""
    ids = sorted({int(i) for i in anime_ids})
    changed = (
        Anime.objects.filter(id__in=ids)
        .exclude(is_hidden=hidden)
        .update(is_hidden=hidden, updated_at=timezone.now())
    )
    anime_changed(anime_ids=ids)
    return changed


def anime_view_record(*, user: User, anime: Anime) -> None:
    """Log that ``user`` opened the anime's page. A failure is logged and never reaches the visitor."""
    from recsys.events import interaction_record

    try:
        with transaction.atomic():
            interaction_record(user=user, anime=anime, kind="view")
    except Exception:
        logger.exception("could not record a view of anime %s by user %s", anime.pk, user.pk)
