"""Writes for the recommender: user feedback."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from activity.models import EventKind
from activity.services import event_record
from catalog.models import Anime
from recsys.models import NotInterested


@transaction.atomic
def not_interested_add(*, user: User, anime: Anime) -> NotInterested:
    """Never recommend ``anime`` to ``user`` again (takes effect on the next request)."""
    entry, created = NotInterested.objects.get_or_create(user=user, anime=anime)
    if created:
        event_record(user_id=user.pk, anime_id=anime.pk, kind=EventKind.NOT_INTERESTED)
    return entry


@transaction.atomic
def not_interested_remove(*, user: User, anime_id: int) -> bool:
    """Undo "not interested"; returns whether there was something to undo."""
    deleted, _ = NotInterested.objects.filter(user=user, anime_id=anime_id).delete()
    return deleted > 0
