"""Reads for the recommender: user histories, feedback, the model registry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from activity.models import Source
from favorites.models import CollectionEntry
from recsys.models import ModelVersion, NotInterested
from recsys.pipeline.contract import HistoryItem
from recsys.serving.store import HistoryStamp

# The history is read on every recommendation request and for every user at promotion: plain SQL
# (a third of the ORM's cost here). ``changed_us`` is microseconds since the epoch computed by the
# database, the same exact integer on both paths, so stored vectors can be matched to histories.
_HISTORY_SQL = (
    "SELECT user_id, anime_id, score, is_favorite, "
    "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', updated_at), source "
    f"FROM {CollectionEntry._meta.db_table} "
)
_NOT_INTERESTED_SQL = f"SELECT id, anime_id FROM {NotInterested._meta.db_table} WHERE user_id = %s"
_STAMP_SQL = (
    "SELECT COUNT(*), COALESCE(MAX(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', updated_at)), 0), "
    f"(SELECT COUNT(*) FROM {NotInterested._meta.db_table} WHERE user_id = %s), "
    f"(SELECT COALESCE(MAX(id), 0) FROM {NotInterested._meta.db_table} WHERE user_id = %s) "
    f"FROM {CollectionEntry._meta.db_table} WHERE user_id = %s"
)


def _fetch(sql: str, params: Sequence[int]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@dataclass(frozen=True)
class UserHistory:
    """A user's collection as the models see it, with the stamp that identifies this state."""

    items: list[HistoryItem]
    stamp: HistoryStamp

    @property
    def anime_ids(self) -> set[int]:
        return {item.anime_id for item in self.items}


def _history_from_rows(rows: Sequence[tuple[Any, ...]]) -> UserHistory:
    items: list[HistoryItem] = []
    last_changed = 0
    dataset = Source.DATASET
    for _user_id, anime_id, score, is_favorite, changed_us, source in rows:
        changed = int(changed_us)
        if changed > last_changed:
            last_changed = changed
        items.append(
            HistoryItem(
                anime_id=anime_id,
                score=score,
                # Data-set entries carry no real time: the import time would be noise.
                timestamp=None if source == dataset else changed / 1e6,
                is_favorite=bool(is_favorite),
            )
        )
    return UserHistory(items=items, stamp=HistoryStamp(n_items=len(items), last_changed_us=last_changed))


def user_history(*, user_id: int) -> UserHistory:
    """The user's collection entries (favourite, score, latest change), read fresh."""
    return _history_from_rows(_fetch(_HISTORY_SQL + "WHERE user_id = %s", [user_id]))


def user_histories_all(*, batch_users: int = 1000) -> Iterator[tuple[int, UserHistory]]:
    """Every user that has a collection, with their history; one range query per ``batch_users``."""
    user_ids = sorted(set(CollectionEntry.objects.values_list("user_id", flat=True).distinct()))
    for start in range(0, len(user_ids), batch_users):
        batch = user_ids[start : start + batch_users]
        grouped: dict[int, list[tuple[Any, ...]]] = {}
        for row in _fetch(_HISTORY_SQL + "WHERE user_id BETWEEN %s AND %s", [batch[0], batch[-1]]):
            grouped.setdefault(row[0], []).append(row)
        for user_id in batch:
            user_rows = grouped.get(user_id)
            if user_rows:
                yield user_id, _history_from_rows(user_rows)


@dataclass(frozen=True)
class UserState:
    """Everything per-user that shapes recommendations: the history and "not interested" ids."""

    history: UserHistory
    not_interested: frozenset[int]
    not_interested_stamp: tuple[int, int]  # (count, latest row id): changes with every add or undo

    @property
    def stamp(self) -> tuple[HistoryStamp, tuple[int, int]]:
        return self.history.stamp, self.not_interested_stamp


def user_state(*, user_id: int) -> UserState:
    """The user's collection and "not interested" list, read fresh (two small queries)."""
    hidden_rows = _fetch(_NOT_INTERESTED_SQL, [user_id])
    return UserState(
        history=user_history(user_id=user_id),
        not_interested=frozenset(row[1] for row in hidden_rows),
        not_interested_stamp=(len(hidden_rows), max((row[0] for row in hidden_rows), default=0)),
    )


def user_state_stamp(*, user_id: int) -> tuple[HistoryStamp, tuple[int, int]]:
    """``user_state(user_id=...).stamp`` in one cheap aggregate query, without reading the rows.

    Any add, change or removal of a collection entry or a "not interested" mark changes it.
    """
    n_items, last_changed_us, n_hidden, last_hidden_id = _fetch(_STAMP_SQL, [user_id, user_id, user_id])[0]
    return (
        HistoryStamp(n_items=int(n_items), last_changed_us=int(last_changed_us)),
        (int(n_hidden), int(last_hidden_id)),
    )


def users_with_history_count() -> int:
    return CollectionEntry.objects.values("user_id").distinct().count()


def model_version_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).order_by("-activated_at").first()


def model_versions_recent(*, limit: int = 8) -> list[ModelVersion]:
    """The latest versions that finished training (any outcome but failure), newest first."""
    qs = ModelVersion.objects.exclude(status__in=[ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED])
    return list(qs.order_by("-created_at", "-id")[:limit])
