"""The per-user state token: a value that changes whenever a user's collection or "not
interested" list changes.

Serving keys reused answers by it, so a reused answer is checked with one Redis read instead of
an aggregate query over the collection. It is renewed by :func:`user_state_changed`, which the
event recorder (:func:`activity.services.events_record`) calls for every state-changing event,
and which receivers call for rows changed without an event (operator edits, undoing "not
interested").

Key: ``recsys:user-state:<user id>`` (a string of nanoseconds), kept 30 days after the last change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.db import transaction

from animesite.redis import redis_client

logger = logging.getLogger(__name__)

USER_STATE_TTL_SECONDS = 30 * 24 * 3600


def user_state_key(user_id: int) -> str:
    return f"recsys:user-state:{user_id}"


def user_state_token(*, user_id: int) -> str:
    """The user's current state token ("0" before any change was recorded).

    Raises
    ------
    redis.RedisError
        When Redis cannot be reached; callers read the state from the database instead.
    """
    return user_state_token_from(redis_client().get(user_state_key(user_id)))


def user_state_token_from(raw: object) -> str:
    """The token a raw Redis value stands for ("0" for a missing key)."""
    if raw is None:
        return "0"
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def user_state_touch(*, user_ids: Iterable[int]) -> None:
    """Give each user a new state token (raises ``redis.RedisError`` when Redis is down)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    token = str(time.time_ns())
    pipe = redis_client().pipeline(transaction=False)
    for user_id in ids:
        pipe.set(user_state_key(user_id), token, ex=USER_STATE_TTL_SECONDS)
    pipe.execute()


def user_state_changed(*, user_ids: Iterable[int]) -> None:
    """The users' collections or "not interested" lists changed: give them a new state token now
    and again after commit (an answer computed in between from the old rows would otherwise be
    kept under the new token), so reused recommendations are recomputed on the next request.
    Best effort: while Redis is down, serving reads the state from the database anyway."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def touch() -> None:
        try:
            user_state_touch(user_ids=ids)
        except Exception:
            logger.warning("state token of users %s not renewed", ids[:10], exc_info=True)

    touch()
    transaction.on_commit(touch, robust=True)
