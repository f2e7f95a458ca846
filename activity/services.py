"""Recording user behaviour: every event lands in the one behaviour log the models train on.

One function, :func:`events_record`, writes one event or many (a MyAnimeList import, the data
set) the same way:

1. the rows are inserted in one statement (``Interaction``), inside the caller's transaction;
2. events the site saw happen (not data-set rows, which carry no time) are counted towards
   trending (:mod:`activity.trending`) once the transaction commits, so a rolled-back write
   never counts;
3. users whose collection or "not interested" list changed get a new state token
   (:func:`activity.state.user_state_changed`).

Steps 2 and 3 are best effort: Redis being down or slow never breaks the write.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from activity.models import EventKind, Interaction, Source
from activity.state import user_state_changed
from activity.trending import trending_record
from animesite.fingerprint import Wanted, sync_plan, table_fingerprint, wanted_fingerprint

logger = logging.getLogger(__name__)

# Events that change what serving must leave out or build on (the collection, "not interested").
STATE_CHANGING_KINDS = frozenset(
    {
        EventKind.LIST,
        EventKind.RATE,
        EventKind.STATUS,
        EventKind.FAVORITE,
        EventKind.UNFAVORITE,
        EventKind.REMOVE,
        EventKind.NOT_INTERESTED,
    }
)


@dataclass(frozen=True)
class Event:
    """One thing a user did to an anime.

    ``score``: the 1-10 score the event carries, if any; ``status``: the watch status it carries,
    if any; ``occurred_at``: when it happened (now when None; data-set rows are stored without a
    time). An imported list entry passes the time the other site last saw it change.
    """

    user_id: int
    anime_id: int
    kind: EventKind
    score: int | None = None
    status: str = ""
    source: Source = Source.SITE
    occurred_at: datetime | None = None


def events_record(*, events: Sequence[Event], batch_size: int = 5000) -> list[Interaction]:
    """Store ``events`` in the behaviour log, count them towards trending after commit and renew
    the state token of every user whose state they change. Returns the stored rows.

    Data-set events (``Source.DATASET``) are stored without a time and neither counted nor
    announced (they are loaded in bulk, never seen happening).
    """
    if not events:
        return []
    now = timezone.now()
    rows = [
        Interaction(
            user_id=event.user_id,
            anime_id=event.anime_id,
            kind=event.kind,
            score=event.score,
            status=event.status,
            source=event.source,
            occurred_at=None if event.source == Source.DATASET else (event.occurred_at or now),
        )
        for event in events
    ]
    Interaction.objects.bulk_create(rows, batch_size=batch_size)

    counted = [
        (row.anime_id, EventKind(row.kind), row.occurred_at)
        for row in rows
        if row.source != Source.DATASET and row.occurred_at is not None
    ]
    if counted:
        transaction.on_commit(lambda: _trending_count(counted), robust=True)
    user_state_changed(
        user_ids={e.user_id for e in events if e.kind in STATE_CHANGING_KINDS and e.source != Source.DATASET}
    )
    return rows


def event_record(
    *,
    user_id: int,
    anime_id: int,
    kind: EventKind,
    score: int | None = None,
    status: str = "",
    source: Source = Source.SITE,
    occurred_at: datetime | None = None,
) -> Interaction:
    """Store one behaviour event: :func:`events_record` with a single :class:`Event`."""
    event = Event(
        user_id=user_id,
        anime_id=anime_id,
        kind=kind,
        score=score,
        status=status,
        source=source,
        occurred_at=occurred_at,
    )
    return events_record(events=[event])[0]


def _trending_count(counted: Sequence[tuple[int, EventKind, datetime]]) -> None:
    for anime_id, kind, at in counted:
        try:
            trending_record(anime_id=anime_id, kind=kind, at=at)
        except Exception:
            logger.warning("trending counter not updated for anime %s (%s)", anime_id, kind, exc_info=True)
            return  # Redis is down: the rest would fail the same way


@dataclass(frozen=True)
class SyncCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def dataset_list_events_sync(*, users: Sequence[int], wanted: Wanted) -> SyncCounts:
    """Make the data-set ``list`` events of ``users`` match ``wanted`` (user -> anime -> score).

    The bulk path of the data-set load: rows are keyed by (user, anime); missing ones are inserted,
    changed scores updated, nothing deleted. A chunk whose fingerprint already matches costs one
    query. Data-set rows carry no time and are neither counted towards trending nor announced.
    """
    size = sum(len(wanted[u]) for u in users)
    dataset_list = "source = %s AND kind = %s"
    params = [Source.DATASET.value, EventKind.LIST.value]
    table = Interaction._meta.db_table
    if table_fingerprint(table=table, users=users, where=dataset_list, params=params) == wanted_fingerprint(
        users, wanted
    ):
        return SyncCounts(unchanged=size)
    existing: dict[tuple[int, int], tuple[int, int | None, bool]] = {}
    for pk, user_id, anime_id, score in Interaction.objects.filter(
        user_id__in=users, source=Source.DATASET, kind=EventKind.LIST
    ).values_list("id", "user_id", "anime_id", "score"):
        existing.setdefault((user_id, anime_id), (pk, score, True))
    plan = sync_plan(users, wanted, existing)
    events_record(
        events=[
            Event(user_id=u, anime_id=a, kind=EventKind.LIST, score=score, source=Source.DATASET)
            for u, a, score in plan.new
        ]
    )
    Interaction.objects.bulk_update(
        [Interaction(id=pk, score=score) for pk, score in plan.changed], ["score"], batch_size=1000
    )
    return SyncCounts(created=len(plan.new), updated=len(plan.changed), unchanged=plan.unchanged)
