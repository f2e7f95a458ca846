"""Every saved or deleted collection entry and "not interested" mark renews the user's state token
(:func:`activity.state.user_state_changed`), whichever code path made the change (operator edits,
raw writes); writes through the services also renew it when they record their events."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from activity.state import user_state_changed
from favorites.models import CollectionEntry
from recsys.models import NotInterested


@receiver(post_save, sender=CollectionEntry, dispatch_uid="recsys.collection_saved")
@receiver(post_delete, sender=CollectionEntry, dispatch_uid="recsys.collection_deleted")
@receiver(post_save, sender=NotInterested, dispatch_uid="recsys.not_interested_saved")
@receiver(post_delete, sender=NotInterested, dispatch_uid="recsys.not_interested_deleted")
def _user_state_saved(sender: type[Any], instance: CollectionEntry | NotInterested, **kwargs: Any) -> None:
    user_state_changed(user_ids=[instance.user_id])
