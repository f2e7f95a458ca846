"""Keep the cached users of :func:`accounts.selectors.user_get_cached` in step with the table."""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.selectors import user_cache_key
from animesite.redis import redis_client

logger = logging.getLogger(__name__)


def user_cache_drop(user_id: Any) -> None:
    """Forget the cached user now and again after the surrounding transaction commits (a request
    reading the old row in between would otherwise cache it again)."""

    def drop() -> None:
        try:
            redis_client().delete(user_cache_key(user_id))
        except redis.RedisError:
            logger.warning("cache unreachable: cached user %s not dropped", user_id, exc_info=True)

    drop()
    transaction.on_commit(drop, robust=True)


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
def _user_saved(sender: type[User], instance: User, **kwargs: Any) -> None:
    user_cache_drop(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
def _user_deleted(sender: type[User], instance: User, **kwargs: Any) -> None:
    user_cache_drop(instance.pk)
