"""Comparing many (user, anime, score) rows with the database in one query.

A fingerprint is the row count and the sum of ``CRC32("user:anime:score")`` (a missing score
counts as 0). Equal fingerprints mean, with overwhelming probability, equal rows, so a bulk sync
can skip a chunk of users that did not change at the cost of one aggregate query.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

Wanted = Mapping[int, Mapping[int, int | None]]  # user id -> anime id -> score


def wanted_fingerprint(users: Sequence[int], wanted: Wanted) -> tuple[int, int]:
    """The fingerprint of the rows ``wanted`` holds for ``users``."""
    count = total = 0
    for user_id in users:
        for anime_id, score in wanted[user_id].items():
            count += 1
            total += zlib.crc32(f"{user_id}:{anime_id}:{score or 0}".encode())
    return count, total


def table_fingerprint(
    *, table: str, users: Sequence[int], where: str = "", params: Sequence[Any] = ()
) -> tuple[int, int]:
    """The same fingerprint computed by the database over ``table``'s rows of ``users``
    (``user_id``, ``anime_id``, ``score`` columns), narrowed by the SQL condition ``where``."""
    if not users:
        return 0, 0
    marks = ", ".join(["%s"] * len(users))
    sql = (
        f"SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS(':', user_id, anime_id, COALESCE(score, 0)))), 0) "
        f"FROM {table} WHERE user_id IN ({marks})"
    )
    if where:
        sql += f" AND {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*users, *params])
        count, total = cursor.fetchone()
    return int(count), int(total)


@dataclass(frozen=True)
class SyncPlan:
    """What a keyed bulk sync must write: ``new`` (user, anime, score) rows to insert, ``changed``
    (primary key, score) pairs to update, and how many rows already match."""

    new: list[tuple[int, int, int | None]] = field(default_factory=list)
    changed: list[tuple[int, int | None]] = field(default_factory=list)
    unchanged: int = 0


def sync_plan(
    users: Sequence[int],
    wanted: Wanted,
    existing: Mapping[tuple[int, int], tuple[int, int | None, bool]],
) -> SyncPlan:
    """Compare ``wanted`` with ``existing`` rows keyed by (user, anime), each ``(pk, score,
    updatable)``; a row that is not updatable (changed by its owner) is left as it is."""
    new: list[tuple[int, int, int | None]] = []
    changed: list[tuple[int, int | None]] = []
    unchanged = 0
    for user_id in users:
        for anime_id, score in wanted[user_id].items():
            found = existing.get((user_id, anime_id))
            if found is None:
                new.append((user_id, anime_id, score))
            elif found[2] and found[1] != score:
                changed.append((found[0], score))
            else:
                unchanged += 1
    return SyncPlan(new=new, changed=changed, unchanged=unchanged)
