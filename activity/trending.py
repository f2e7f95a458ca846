"""Trending: time-decayed activity, kept in a Redis sorted set as events happen.

Every behaviour event adds ``weight(kind)`` to its anime, and that contribution halves every
``HALF_LIFE`` (7 days). The decayed score of an anime at time ``now`` is::

    trending(a, now) = sum over events e of a:  weight(e.kind) * 2 ** (-(now - e.time) / HALF_LIFE)

Decaying every member periodically would cost a pass over the whole set. Instead the set stores
each contribution in "log space" relative to a fixed epoch ``t0``::

    stored(a) = sum over events e of a:  weight(e.kind) * 2 ** ((e.time - t0) / HALF_LIFE)

so ``trending(a, now) = stored(a) * 2 ** (-(now - t0) / HALF_LIFE)``: one factor shared by every
member, which leaves the order of the set unchanged. Newer events add ever larger numbers; when
``now - t0`` passes ``REBASE_AFTER_HALF_LIVES`` half-lives the whole set is multiplied by
``2 ** (-(now - t0) / HALF_LIFE)`` (one ``ZUNIONSTORE ... WEIGHTS``), members that decayed below
``PRUNE_BELOW`` are dropped and ``t0`` moves to ``now``. The increment and the rebase run in one
Lua script, so concurrent writers never see a half-rebased set.

When Redis is down the same formula is computed from the behaviour log in SQL
(:func:`trending_scores_from_db`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from activity.models import EventKind, Interaction, Source

logger = logging.getLogger(__name__)

HALF_LIFE = timedelta(days=7)
# Events older than this many half-lives (< 0.1 % of their weight) are not worth a write.
IGNORE_OLDER_THAN_HALF_LIVES = 10
REBASE_AFTER_HALF_LIVES = 8
PRUNE_BELOW = 1e-3

# How much one event of each kind says "people are paying attention to this anime right now".
# Removals, unfavourites and "not interested" are not activity that should lift an anime.
KIND_WEIGHTS: dict[EventKind, float] = {
    EventKind.LIST: 1.0,
    EventKind.RATE: 1.0,
    EventKind.STATUS: 0.5,
    EventKind.FAVORITE: 2.0,
    EventKind.VIEW: 0.25,
}
# Only events the site saw happen carry a real time (data-set rows have none).
COUNTED_SOURCES = (Source.SITE, Source.MAL_IMPORT)

Clock = Callable[[], datetime]
default_clock: Clock = timezone.now

_INCREMENT_SCRIPT = """
local now = tonumber(ARGV[3])
local half_life = tonumber(ARGV[4])
local epoch = tonumber(redis.call('GET', KEYS[2]))
if not epoch then
  epoch = now
  redis.call('SET', KEYS[2], ARGV[3])
end
if (now - epoch) / half_life > tonumber(ARGV[5]) then
  local factor = math.pow(2, -(now - epoch) / half_life)
  if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('ZUNIONSTORE', KEYS[1], 1, KEYS[1], 'WEIGHTS', string.format('%.17g', factor))
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%.17g', tonumber(ARGV[6])))
  end
  epoch = now
  redis.call('SET', KEYS[2], ARGV[3])
end
local t = tonumber(ARGV[2])
local increment = tonumber(ARGV[1]) * math.pow(2, (t - epoch) / half_life)
return tostring(redis.call('ZINCRBY', KEYS[1], string.format('%.17g', increment), ARGV[7]))
"""


class TrendingUnavailable(Exception):
    """The sorted set cannot be read (Redis down or slow)."""


def _key(name: str) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:trending:v1:{name}"


def zset_key() -> str:
    return _key("zset")


def epoch_key() -> str:
    return _key("epoch")


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def kind_weight(kind: str) -> float:
    return KIND_WEIGHTS.get(kind, 0.0)  # type: ignore[call-overload]


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def trending_record(*, anime_id: int, kind: str, at: datetime, now: datetime | None = None) -> bool:
    """Add one event of ``kind`` that happened at ``at`` to the sorted set.

    Returns False when the event carries no trending weight or is too old to matter.
    Raises the Redis client's errors: the caller decides how a failure degrades.
    """
    weight = kind_weight(kind)
    now = now or default_clock()
    at = min(at, now)
    if weight <= 0 or now - at > HALF_LIFE * IGNORE_OLDER_THAN_HALF_LIVES:
        return False
    _redis().eval(
        _INCREMENT_SCRIPT,
        2,
        zset_key(),
        epoch_key(),
        repr(weight),
        repr(_ts(at)),
        repr(_ts(now)),
        repr(HALF_LIFE.total_seconds()),
        str(REBASE_AFTER_HALF_LIVES),
        repr(PRUNE_BELOW),
        str(anime_id),
    )
    return True


def trending_scores(*, now: datetime | None = None, limit: int = 5000) -> list[tuple[int, float]]:
    """The ``limit`` most trending anime ids with their decayed scores at ``now``, best first."""
    now = now or default_clock()
    try:
        client = _redis()
        pipe = client.pipeline(transaction=True)
        pipe.get(epoch_key())
        pipe.zrevrange(zset_key(), 0, limit - 1, withscores=True)
        raw_epoch, members = pipe.execute()
    except Exception as exc:
        raise TrendingUnavailable(str(exc)) from exc
    if raw_epoch is None or not members:
        return []
    epoch = float(raw_epoch)
    factor = math.pow(2.0, -(_ts(now) - epoch) / HALF_LIFE.total_seconds())
    scores = [(int(member), float(score) * factor) for member, score in members]
    return [(anime_id, score) for anime_id, score in scores if score >= PRUNE_BELOW]


def trending_scores_from_db(*, now: datetime | None = None, limit: int = 5000) -> list[tuple[int, float]]:
    """The same decayed sum as the sorted set, computed from the behaviour log in one GROUP BY."""
    now = now or default_clock()
    since = now - HALF_LIFE * IGNORE_OLDER_THAN_HALF_LIVES
    weighted = [(str(kind), w) for kind, w in KIND_WEIGHTS.items() if w > 0]
    case = " ".join("WHEN %s THEN %s" for _ in weighted)
    table = Interaction._meta.db_table
    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    sql = (
        f"SELECT anime_id, SUM((CASE kind {case} ELSE 0 END)"
        " * POW(2, -TIMESTAMPDIFF(MICROSECOND, occurred_at, %s) / 1000000.0 / %s)) AS score"
        f" FROM {table}"
        " WHERE occurred_at IS NOT NULL AND occurred_at > %s AND occurred_at <= %s"
        f" AND source IN ({', '.join(['%s'] * len(COUNTED_SOURCES))})"
        f" AND kind IN ({', '.join(['%s'] * len(weighted))})"
        " GROUP BY anime_id HAVING score >= %s ORDER BY score DESC, anime_id LIMIT %s"
    )
    params: list[Any] = [p for kind_w in weighted for p in kind_w]
    params += [naive_now, HALF_LIFE.total_seconds()]
    params += [since.astimezone(UTC).replace(tzinfo=None), naive_now]
    params += [str(source) for source in COUNTED_SOURCES] + [kind for kind, _ in weighted]
    params += [PRUNE_BELOW, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(anime_id), float(score)) for anime_id, score in cursor.fetchall()]
