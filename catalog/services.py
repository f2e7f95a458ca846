"""Writes to the catalogue."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.models import EventKind
from activity.services import event_record
from animesite.exceptions import ApplicationError
from catalog.models import Anime, Franchise
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


# --- franchises: operator merge and split ----------------------------------------------------


def _air_order_key(anime: Anime) -> tuple[bool, dt.date, int, int]:
    return (anime.aired_from is None, anime.aired_from or dt.date.min, anime.franchise_position, anime.id)


def franchise_renumber(*, franchise: Franchise) -> None:
    """Give the franchise's entries their positions in air order (undated entries last)."""
    entries = sorted(franchise.entries.all(), key=_air_order_key)
    for position, anime in enumerate(entries):
        anime.franchise_position = position
    Anime.objects.bulk_update(entries, ["franchise_position"])


@transaction.atomic
def franchise_merge(*, anime_ids: Iterable[int]) -> Franchise:
    """Put the franchises of the given anime together (operator curation).

    The franchise of the earliest-aired anime receives every entry of the others, which are
    deleted; the result is marked curated, so data loads leave it as the operator made it.
    Raises ``ApplicationError`` with fewer than two anime.
    """
    chosen = sorted(
        Anime.objects.filter(id__in=set(anime_ids)).select_related("franchise"), key=_air_order_key
    )
    if len(chosen) < 2:
        raise ApplicationError(
            _("Select at least two anime to merge their franchises."), code="too_few_anime"
        )
    target = next((a.franchise for a in chosen if a.franchise is not None), None)
    if target is None:
        target = Franchise.objects.create(
            key=f"op:{uuid.uuid4().hex[:12]}",
            name_en=chosen[0].display_title_en or chosen[0].title,
            name_zh=chosen[0].display_title_zh,
        )
    others = {a.franchise_id for a in chosen if a.franchise_id not in (None, target.id)}
    moved = list(
        Anime.objects.filter(Q(franchise_id__in=others) | Q(id__in=[a.id for a in chosen])).values_list(
            "id", flat=True
        )
    )
    Anime.objects.filter(id__in=moved).update(franchise=target, updated_at=timezone.now())
    Franchise.objects.filter(id__in=others).delete()
    target.is_curated = True
    target.save(update_fields=["is_curated", "updated_at"])
    franchise_renumber(franchise=target)
    anime_changed(anime_ids=moved)
    return target


@transaction.atomic
def franchise_split(*, anime_ids: Iterable[int], name: str = "") -> Franchise:
    """Move the given anime out of their franchises into a new one of their own (operator curation).

    The new franchise and the franchises they left are marked curated, so data loads keep the
    split. Raises ``ApplicationError`` when no anime is given.
    """
    chosen = sorted(Anime.objects.filter(id__in=set(anime_ids)), key=_air_order_key)
    if not chosen:
        raise ApplicationError(_("Select the anime to split off."), code="no_anime")
    left = {a.franchise_id for a in chosen if a.franchise_id is not None}
    first = chosen[0]
    franchise = Franchise.objects.create(
        key=f"op:{uuid.uuid4().hex[:12]}",
        name_en=name or first.display_title_en or first.title,
        name_zh=name or first.display_title_zh or first.title,
        is_curated=True,
    )
    Anime.objects.filter(id__in=[a.id for a in chosen]).update(franchise=franchise, updated_at=timezone.now())
    Franchise.objects.filter(id__in=left).update(is_curated=True, updated_at=timezone.now())
    for old in Franchise.objects.filter(id__in=left):
        franchise_renumber(franchise=old)
    franchise_renumber(franchise=franchise)
    anime_changed(anime_ids=[a.id for a in chosen])
    return franchise
