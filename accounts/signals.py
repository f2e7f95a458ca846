"""Every save or delete of a user, whichever code path made it, drops the cached row
(:func:`accounts.services.user_cache_drop`)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.services import user_cache_drop


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
def _user_saved(sender: type[User], instance: User, **kwargs: Any) -> None:
    user_cache_drop(user_id=instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
def _user_deleted(sender: type[User], instance: User, **kwargs: Any) -> None:
    user_cache_drop(user_id=instance.pk)
