"""Writes to a user's collection. Every change is also a behaviour event (``activity.services``).

Concurrency: every write to one user's collection first locks that user's row
(``SELECT ... FOR UPDATE``), so writers for the same user queue up instead of racing. The unique
constraint on (user, anime) stays the last line of defence: an insert that still collides is
retried as an update. Fifty identical requests therefore leave exactly one row and exactly one
set of events; the 49 repeats change nothing and record nothing.

Events recorded (``activity.models.EventKind``), in the same transaction as the write:

- a new entry: ``list`` (carrying its status and score), plus ``favorite`` when it starts as one;
- a changed status: ``status``; a changed score: ``rate`` (score null when it was cleared);
- favourite flag turned on / off: ``favorite`` / ``unfavorite``;
- an entry removed: ``remove``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from activity.models import EventKind, Source
from activity.services import Event, SyncCounts, event_record, events_record
from animesite.exceptions import ApplicationError
from animesite.fingerprint import Wanted, sync_plan, table_fingerprint, wanted_fingerprint
from catalog.models import Anime
from favorites.models import MAX_EPISODES_WATCHED, MAX_REWATCH_COUNT, CollectionEntry, WatchStatus


class Unset(enum.Enum):
    """Marks a field the caller did not mention (so it keeps its value)."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class CollectionChange:
    entry: CollectionEntry
    created: bool
    changed: tuple[str, ...]


def collection_lock(*, user: User) -> None:
    """Serialise writes to one user's collection for the rest of the transaction."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def collection_values_validate(
    *,
    anime: Anime | None = None,
    status: str | Unset = UNSET,
    score: int | Unset | None = UNSET,
    episodes_watched: int | Unset = UNSET,
    rewatch_count: int | Unset = UNSET,
    start_date: date | Unset | None = UNSET,
    finish_date: date | Unset | None = UNSET,
    current: CollectionEntry | None = None,
) -> None:
    """Raise ``ApplicationError`` (code ``invalid``, messages under ``extra.fields``) for bad values.

    ``episodes_watched`` is capped at the anime's episode count when that is known; the finish
    date may not precede the start date (either given now or already on ``current``).
    """
    fields: dict[str, list[str]] = {}
    if not isinstance(status, Unset) and status != "" and status not in WatchStatus.values:
        fields["status"] = [
            _("Unknown status %(status)r; use one of: %(choices)s.")
            % {"status": status, "choices": ", ".join(WatchStatus.values)}
        ]
    if (
        not isinstance(score, Unset)
        and score is not None
        and (isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 10)
    ):
        fields["score"] = [_("A score is a whole number from 1 to 10.")]
    if not isinstance(episodes_watched, Unset):
        if (
            isinstance(episodes_watched, bool)
            or not isinstance(episodes_watched, int)
            or not 0 <= episodes_watched <= MAX_EPISODES_WATCHED
        ):
            fields["episodes_watched"] = [
                _("Episodes watched is a whole number from 0 to %(max)d.") % {"max": MAX_EPISODES_WATCHED}
            ]
        elif anime is not None and anime.episodes and episodes_watched > anime.episodes:
            fields["episodes_watched"] = [
                _("This anime has %(episodes)d episodes; at most %(episodes)d can be watched.")
                % {"episodes": anime.episodes}
            ]
    if not isinstance(rewatch_count, Unset) and (
        isinstance(rewatch_count, bool)
        or not isinstance(rewatch_count, int)
        or not 0 <= rewatch_count <= MAX_REWATCH_COUNT
    ):
        fields["rewatch_count"] = [
            _("Times rewatched is a whole number from 0 to %(max)d.") % {"max": MAX_REWATCH_COUNT}
        ]
    start = current.start_date if current is not None and isinstance(start_date, Unset) else start_date
    finish = current.finish_date if current is not None and isinstance(finish_date, Unset) else finish_date
    if isinstance(start, date) and isinstance(finish, date) and finish < start:
        fields["finish_date"] = [_("The finish date cannot be before the start date.")]
    if fields:
        raise ApplicationError(_("Invalid input."), code="invalid", extra={"fields": fields})


ENTRY_FIELDS = (
    "status",
    "score",
    "is_favorite",
    "episodes_watched",
    "rewatch_count",
    "start_date",
    "finish_date",
)
_EMPTY_ENTRY: dict[str, Any] = {
    "status": "",
    "score": None,
    "is_favorite": False,
    "episodes_watched": 0,
    "rewatch_count": 0,
    "start_date": None,
    "finish_date": None,
}


@transaction.atomic
def collection_entry_upsert(
    *,
    user: User,
    anime: Anime,
    status: str | Unset = UNSET,
    score: int | Unset | None = UNSET,
    is_favorite: bool | Unset = UNSET,
    episodes_watched: int | Unset = UNSET,
    rewatch_count: int | Unset = UNSET,
    start_date: date | Unset | None = UNSET,
    finish_date: date | Unset | None = UNSET,
    source: Source = Source.SITE,
    occurred_at: datetime | None = None,
) -> CollectionChange:
    """Create or change the user's entry for ``anime``; fields left UNSET keep their value.

    On the site (``source`` site), marking an entry completed without naming the progress sets
    ``episodes_watched`` to the episode count when it is known, and an empty finish date to today.
    Imports never fill anything in.
    Idempotent: repeating the same call changes nothing and records no event. Raises
    ``ApplicationError`` with field errors for invalid values.
    """
    collection_lock(user=user)

    entry = CollectionEntry.objects.select_for_update().filter(user=user, anime=anime).first()
    completing = (
        source == Source.SITE
        and status == WatchStatus.COMPLETED
        and (entry is None or entry.status != WatchStatus.COMPLETED)
    )
    if completing and isinstance(episodes_watched, Unset) and anime.episodes:
        episodes_watched = anime.episodes
    if completing and isinstance(finish_date, Unset) and (entry is None or entry.finish_date is None):
        today = timezone.localdate()
        start = start_date if not isinstance(start_date, Unset) else (entry.start_date if entry else None)
        if start is None or start <= today:
            finish_date = today
    wanted: dict[str, Any] = {
        "status": status,
        "score": score,
        "is_favorite": is_favorite,
        "episodes_watched": episodes_watched,
        "rewatch_count": rewatch_count,
        "start_date": start_date,
        "finish_date": finish_date,
    }
    collection_values_validate(
        anime=anime,
        status=status,
        score=score,
        episodes_watched=episodes_watched,
        rewatch_count=rewatch_count,
        start_date=start_date,
        finish_date=finish_date,
        current=entry,
    )
    created = False
    if entry is None:
        values = {name: _EMPTY_ENTRY[name] if isinstance(v, Unset) else v for name, v in wanted.items()}
        entry = CollectionEntry(user=user, anime=anime, source=source, **values)
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
            created = True
        except IntegrityError:
            # Written by a path that does not take the collection lock: update it instead.
            entry = CollectionEntry.objects.select_for_update().get(user=user, anime=anime)

    if created:
        before = dict(_EMPTY_ENTRY)
    else:
        before = {name: getattr(entry, name) for name in ENTRY_FIELDS}
        changed_fields = [
            name for name, value in wanted.items() if not isinstance(value, Unset) and value != before[name]
        ]
        if changed_fields:
            for name in changed_fields:
                setattr(entry, name, wanted[name])
            entry.save(update_fields=[*changed_fields, "updated_at"])

    after = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    changed = tuple(name for name in after if after[name] != before[name])
    events_record(
        events=collection_events(
            user_id=user.pk,
            anime_id=anime.pk,
            created=created,
            before=before,
            after=after,
            source=Source(source),
            occurred_at=occurred_at or timezone.now(),
        )
    )
    return CollectionChange(entry=entry, created=created, changed=changed)


@dataclass(frozen=True)
class EpisodeProgress:
    """The entry after one more episode; ``offer_complete`` when the last episode was just
    reached and the entry is not marked completed yet."""

    change: CollectionChange
    offer_complete: bool


@transaction.atomic
def collection_episode_increment(*, user: User, anime: Anime, today: date | None = None) -> EpisodeProgress:
    """One more episode watched (the "+1" button); adds the anime to the list when needed.

    The count stops at the episode count, or at ``MAX_EPISODES_WATCHED`` when that is unknown (a +1
    past it changes nothing). The first episode of an
    entry that is not yet being watched marks it ``watching`` and, when no start date is set,
    starts it today. Reaching the last episode does not complete the entry by itself: the answer
    offers it (``offer_complete``) and the user confirms with a status change.
    """
    collection_lock(user=user)
    entry = CollectionEntry.objects.select_for_update().filter(user=user, anime=anime).first()
    watched = entry.episodes_watched if entry is not None else 0
    status = entry.status if entry is not None else ""
    if anime.episodes and watched >= anime.episodes:
        change = collection_entry_upsert(user=user, anime=anime)
        return EpisodeProgress(change=change, offer_complete=status != WatchStatus.COMPLETED)
    if watched >= MAX_EPISODES_WATCHED:
        return EpisodeProgress(change=collection_entry_upsert(user=user, anime=anime), offer_complete=False)
    values: dict[str, Any] = {"episodes_watched": watched + 1}
    if status in ("", WatchStatus.WANT_TO_WATCH, WatchStatus.ON_HOLD):
        values["status"] = WatchStatus.WATCHING
    if entry is None or entry.start_date is None:
        start = today or timezone.localdate()
        if entry is None or entry.finish_date is None or entry.finish_date >= start:
            values["start_date"] = start
    change = collection_entry_upsert(user=user, anime=anime, **values)
    reached_end = bool(anime.episodes) and change.entry.episodes_watched == anime.episodes
    return EpisodeProgress(
        change=change, offer_complete=reached_end and change.entry.status != WatchStatus.COMPLETED
    )


def collection_events(
    *,
    user_id: int,
    anime_id: int,
    created: bool,
    before: Mapping[str, object],
    after: Mapping[str, object],
    source: Source,
    occurred_at: datetime | None,
) -> list[Event]:
    """The behaviour events one change of an entry stands for (see the module docstring)."""
    score = after["score"]
    status = str(after["status"])
    assert score is None or isinstance(score, int)

    def event(kind: EventKind, *, score: int | None = None, status: str = "") -> Event:
        return Event(
            user_id=user_id,
            anime_id=anime_id,
            kind=kind,
            score=score,
            status=status,
            source=source,
            occurred_at=occurred_at,
        )

    events: list[Event] = []
    if created:
        events.append(event(EventKind.LIST, score=score, status=status))
    else:
        if before["status"] != after["status"]:
            events.append(event(EventKind.STATUS, status=status))
        if before["score"] != after["score"]:
            events.append(event(EventKind.RATE, score=score))
    if before["is_favorite"] != after["is_favorite"]:
        events.append(event(EventKind.FAVORITE if after["is_favorite"] else EventKind.UNFAVORITE))
    return events


@transaction.atomic
def collection_entry_replace(
    *,
    user: User,
    anime: Anime,
    status: str = "",
    score: int | None = None,
    is_favorite: bool = False,
    episodes_watched: int = 0,
    rewatch_count: int = 0,
    start_date: date | None = None,
    finish_date: date | None = None,
) -> CollectionChange:
    """PUT semantics: every field takes the given value (or its empty default)."""
    return collection_entry_upsert(
        user=user,
        anime=anime,
        status=status,
        score=score,
        is_favorite=is_favorite,
        episodes_watched=episodes_watched,
        rewatch_count=rewatch_count,
        start_date=start_date,
        finish_date=finish_date,
    )


@transaction.atomic
def collection_entry_delete(*, user: User, anime: Anime) -> bool:
    """Remove the entry; False when there was none (nothing recorded then)."""
    collection_lock(user=user)
    deleted, _details = CollectionEntry.objects.filter(user=user, anime=anime).delete()
    if deleted:
        event_record(user_id=user.pk, anime_id=anime.pk, kind=EventKind.REMOVE)
    return bool(deleted)


@transaction.atomic
def collection_favorite_set(*, user: User, anime: Anime, is_favorite: bool) -> CollectionChange | None:
    """Favourite (creating the entry when needed) or unfavourite an anime; idempotent.

    Unfavouriting an anime that is not in the collection changes nothing and returns None.
    """
    if not is_favorite:
        collection_lock(user=user)
        if not CollectionEntry.objects.filter(user=user, anime=anime).exists():
            return None
    return collection_entry_upsert(user=user, anime=anime, is_favorite=is_favorite)


def collection_entries_bulk_create(
    *, user: User, rows: list[tuple[CollectionEntry, datetime | None]], source: Source, batch_size: int = 500
) -> None:
    """Insert new entries of one user in bulk, each with its ``list`` (and ``favorite``) event.

    ``rows`` pairs an unsaved entry with the time of its event (None: now). The caller holds the
    collection lock (:func:`collection_lock`) and has checked that none of these anime is in the
    collection yet, so nothing can collide.
    """
    now = timezone.now()
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        CollectionEntry.objects.bulk_create([row for row, _ in batch])
        events_record(
            events=[
                event
                for row, row_time in batch
                for event in collection_events(
                    user_id=user.pk,
                    anime_id=row.anime_id,
                    created=True,
                    before={"status": "", "score": None, "is_favorite": False},
                    after={"status": row.status, "score": row.score, "is_favorite": row.is_favorite},
                    source=source,
                    occurred_at=row_time or now,
                )
            ]
        )


def dataset_entries_sync(*, users: Sequence[int], wanted: Wanted) -> SyncCounts:
    """Make the collections of data-set ``users`` hold ``wanted`` (user -> anime -> score).

    The bulk path of the data-set load: entries are keyed by (user, anime); missing ones are
    inserted (no watch status: the data set has none), scores of data-set entries updated, and an
    entry the user changed on the site is left alone. A chunk whose fingerprint already matches
    costs one query. The events of these rows are written by
    ``activity.services.dataset_list_events_sync``.
    """
    size = sum(len(wanted[u]) for u in users)
    table = CollectionEntry._meta.db_table
    if table_fingerprint(table=table, users=users) == wanted_fingerprint(users, wanted):
        return SyncCounts(unchanged=size)
    existing = {
        (user_id, anime_id): (pk, score, source == Source.DATASET)
        for pk, user_id, anime_id, score, source in CollectionEntry.objects.filter(
            user_id__in=users
        ).values_list("id", "user_id", "anime_id", "score", "source")
    }
    plan = sync_plan(users, wanted, existing)
    CollectionEntry.objects.bulk_create(
        [
            CollectionEntry(user_id=u, anime_id=a, score=score, status="", source=Source.DATASET)
            for u, a, score in plan.new
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    CollectionEntry.objects.bulk_update(
        [CollectionEntry(id=pk, score=score) for pk, score in plan.changed], ["score"], batch_size=1000
    )
    return SyncCounts(created=len(plan.new), updated=len(plan.changed), unchanged=plan.unchanged)
