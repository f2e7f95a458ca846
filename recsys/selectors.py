"""Reads for the recommender: user histories, feedback, the model registry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from favorites.models import CollectionEntry, EntrySource
from recsys.models import ModelVersion, NotInterested
from recsys.pipeline.contract import HistoryItem
from recsys.serving.store import HistoryStamp

# Microseconds since the epoch, computed by the database: the same exact integer whether the
# history is read for one user per request or for every user at promotion time.
_CHANGED_US = RawSQL(
    "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', favorites_collectionentry.updated_at)", []
)
_HISTORY_FIELDS = ("user_id", "anime_id", "score", "is_favorite", "changed_us", "source")
_HistoryRow = tuple[int, int, int | None, bool, int, str]


@dataclass(frozen=True)
class UserHistory:
    """A user's collection as the models see it, with the stamp that identifies this state."""

    items: list[HistoryItem]
    stamp: HistoryStamp

    @property
    def anime_ids(self) -> set[int]:
        return {item.anime_id for item in self.items}


def _history_from_rows(rows: Sequence[_HistoryRow]) -> UserHistory:
    items: list[HistoryItem] = []
    last_changed = 0
    dataset = EntrySource.DATASET
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


def _history_rows() -> QuerySet[CollectionEntry, _HistoryRow]:
    return CollectionEntry.objects.annotate(changed_us=_CHANGED_US).values_list(*_HISTORY_FIELDS)


def user_history(*, user_id: int) -> UserHistory:
    """The user's collection entries (favourite, score, latest change), read fresh."""
    return _history_from_rows(list(_history_rows().filter(user_id=user_id)))


def user_histories_all(*, batch_users: int = 1000) -> Iterator[tuple[int, UserHistory]]:
    """Every user that has a collection, with their history; one range query per ``batch_users``."""
    user_ids = sorted(set(CollectionEntry.objects.values_list("user_id", flat=True).distinct()))
    for start in range(0, len(user_ids), batch_users):
        batch = user_ids[start : start + batch_users]
        grouped: dict[int, list[_HistoryRow]] = {}
        rows = _history_rows().filter(user_id__gte=batch[0], user_id__lte=batch[-1]).order_by()
        for row in rows:
            grouped.setdefault(row[0], []).append(row)
        for user_id in batch:
            user_rows = grouped.get(user_id)
            if user_rows:
                yield user_id, _history_from_rows(user_rows)


def users_with_history_count() -> int:
    return CollectionEntry.objects.values("user_id").distinct().count()


def not_interested_ids(*, user_id: int) -> set[int]:
    return set(NotInterested.objects.filter(user_id=user_id).values_list("anime_id", flat=True))


def model_version_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).order_by("-activated_at").first()


def model_versions_recent(*, limit: int = 8) -> list[ModelVersion]:
    """The latest versions that finished training (any outcome but failure), newest first."""
    qs = ModelVersion.objects.exclude(status__in=[ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED])
    return list(qs.order_by("-created_at", "-id")[:limit])
