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
import threading
import time
from collections.abc import Iterable
from typing import Any

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
    pending_flush_if_any()
    return user_state_token_from(redis_client().get(user_state_key(user_id)))


def user_state_token_for(*, user: Any) -> str:
    """:func:`user_state_token` of a signed-in ``user`` object, taken from the values read with the
    user itself when they are there (``user.redis_companions``, filled by
    ``accounts.selectors.user_get_cached``): no further round trip to Redis.

    Raises
    ------
    redis.RedisError
        When the token has to be read and Redis cannot be reached.
    """
    companions = getattr(user, "redis_companions", None)
    key = user_state_key(int(user.pk))
    if companions is not None and key in companions:
        return user_state_token_from(companions[key])
    return user_state_token(user_id=int(user.pk))


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

    While Redis is down the change is stored in the database but the token cannot be renewed:
    this process then forgets its reused answers (``animesite.process_cache``) and keeps the
    users as pending; their tokens are renewed as soon as Redis answers again (a background retry
    every ``RETRY_SECONDS``, and before any token is read here), so no answer computed before the
    change is served under the old token once Redis is back.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return

    def touch() -> None:
        try:
            user_state_touch(user_ids=ids)
        except Exception:
            logger.warning(
                "state token of users %s not renewed; retrying when Redis is back", ids[:10], exc_info=True
            )
            _pending_add(ids)

    touch()
    transaction.on_commit(touch, robust=True)


# --- Renewals that failed while Redis was down ---------------------------------------------

RETRY_SECONDS = 0.5
_pending: set[int] = set()
_pending_lock = threading.Lock()
_retry_thread: threading.Thread | None = None


def pending_flush_if_any() -> None:
    """Renew pending tokens first (cheap when none is pending): call before reading a token."""
    if _pending:
        pending_flush()


def pending_user_ids() -> set[int]:
    with _pending_lock:
        return set(_pending)


def _pending_add(ids: Iterable[int]) -> None:
    global _retry_thread
    from animesite.process_cache import process_cache

    # Answers reused under a token that can no longer be renewed must not outlive the outage.
    process_cache.clear()
    with _pending_lock:
        _pending.update(ids)
        if _retry_thread is None or not _retry_thread.is_alive():
            _retry_thread = threading.Thread(target=_retry_loop, name="user-state-retry", daemon=True)
            _retry_thread.start()


def pending_flush() -> bool:
    """Renew the tokens of every pending user; True when none is left pending."""
    with _pending_lock:
        ids = sorted(_pending)
    if not ids:
        return True
    try:
        user_state_touch(user_ids=ids)
    except Exception:
        return False
    with _pending_lock:
        _pending.difference_update(ids)
        left = bool(_pending)
    logger.info("state tokens of %d users renewed after a Redis outage", len(ids))
    return not left


def _retry_loop() -> None:
    while not pending_flush():
        time.sleep(RETRY_SECONDS)
