"""Writes to the catalogue."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from activity.models import EventKind
from activity.services import event_record
from catalog.models import Anime
from catalog.selectors import CATALOG_GENERATION_KEY

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def anime_changed(*, anime_ids: Iterable[int]) -> None:
    """Call after any write to anime rows (admin edits, bulk actions, imports).

    Once the transaction commits: propagates the change to the search index through a Celery
    task (never inside the request), and renews the catalogue generation, so every process drops
    the cards and lists it derived from the old rows
    (:func:`catalog.selectors.catalog_generation`).
    """
    ids = sorted({int(i) for i in anime_ids})
    if not ids:
        return
    from catalog.tasks import search_sync_anime

    def after_commit() -> None:
        catalog_generation_renew()  # never raises
        search_sync_anime.delay(ids)

    # robust: a broker outage must not turn a committed edit into an error page.
    transaction.on_commit(after_commit, robust=True)


def catalog_generation_renew() -> None:
    """Give the catalogue a new generation (best effort: caches still expire while Redis is down)."""
    try:
        cache.set(CATALOG_GENERATION_KEY, str(time.time_ns()), timeout=None)
    except Exception:
        logger.warning("catalogue generation not renewed", exc_info=True)


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
    try:
        with transaction.atomic():
            event_record(user_id=user.pk, anime_id=anime.pk, kind=EventKind.VIEW)
    except Exception:
        logger.exception("could not record a view of anime %s by user %s", anime.pk, user.pk)
