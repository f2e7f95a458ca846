"""Reads of a user's collection."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, Q, QuerySet

from accounts.models import User
from catalog.models import Anime
from favorites.models import CollectionEntry, ImportJob, WatchStatus

COLLECTION_ORDERINGS: dict[str, tuple[Any, ...]] = {
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "score": (F("score").asc(nulls_last=True), "anime__title", "id"),
    "-score": (F("score").desc(nulls_last=True), "anime__title", "id"),
    "title": ("anime__title", "id"),
    "-title": ("-anime__title", "-id"),
}


def collection_anime_get(*, user: User | AnonymousUser, anime_id: int) -> Anime | None:
    """The anime a collection entry may point at: it exists and the user may see it."""
    return Anime.objects.visible_to(user).filter(pk=anime_id).first()


def collection_list(
    *,
    user: User,
    status: str | None = None,
    favorite: bool | None = None,
    anime_id: int | None = None,
    ordering: str = "-updated",
) -> QuerySet[CollectionEntry]:
    """The user's entries with everything a card needs; anime hidden by operators are left out."""
    qs = CollectionEntry.objects.filter(user=user).select_related("anime").prefetch_related("anime__genres")
    if not user.is_staff:
        qs = qs.filter(anime__is_hidden=False)
    if status is not None:
        qs = qs.filter(status=status)
    if favorite is not None:
        qs = qs.filter(is_favorite=favorite)
    if anime_id is not None:
        qs = qs.filter(anime_id=anime_id)
    return qs.order_by(*COLLECTION_ORDERINGS[ordering])


def collection_counts(*, user: User) -> dict[str, int]:
    """How many entries each tab of the collection holds: ``all``, ``favorite`` and one per status.

    Counts the same entries as ``collection_list`` (anime hidden by operators left out for
    non-staff); statuses without entries count 0; an entry without a status counts only in ``all``.
    """
    qs = collection_list(user=user).order_by()
    per_status = dict(qs.values("status").annotate(n=Count("id")).values_list("status", "n"))
    counts = {"all": qs.count(), "favorite": qs.filter(is_favorite=True).count()}
    for value in WatchStatus.values:
        counts[value] = per_status.get(value, 0)
    return counts


def collection_entry_get(*, user: User, anime_id: int) -> CollectionEntry | None:
    return collection_list(user=user).filter(anime_id=anime_id).first()


def import_job_get(*, user: User, job_id: int) -> ImportJob | None:
    """A user sees only their own import jobs."""
    return ImportJob.objects.filter(user=user, pk=job_id).defer("entries").first()


def collection_export_entries(*, user: User) -> QuerySet[CollectionEntry]:
    """The entries a MyAnimeList export can carry: a watch status and an anime with a MAL id,
    ordered by MAL id (hidden anime included: the list is the user's own). One query."""
    return (
        CollectionEntry.objects.filter(user=user, anime__mal_id__isnull=False)
        .exclude(status="")
        .select_related("anime")
        .order_by("anime__mal_id")
    )


def collection_export_left_out(*, user: User) -> int:
    """How many entries an export cannot carry (no watch status, or an anime without a MAL id)."""
    return (
        CollectionEntry.objects.filter(user=user).filter(Q(status="") | Q(anime__mal_id__isnull=True)).count()
    )
