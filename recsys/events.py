"""Recording user behaviour: every event lands in the one behaviour log the models train on.

Each event is also counted towards trending (a Redis sorted set with a 7-day half-life, see
``rankings.trending``) once the surrounding transaction commits, so a rolled-back write never
counts. The counter is best effort: Redis being down or slow never breaks the write.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Anime
from recsys.models import Interaction

logger = logging.getLogger(__name__)


def interaction_record(
    *,
    user: User,
    anime: Anime,
    kind: str,
    score: int | None = None,
    status: str = "",
    source: str = Interaction.Source.SITE,
    occurred_at: datetime | None = None,
) -> Interaction:
    """Store one behaviour event and count it towards trending after commit.

    Parameters
    ----------
    user, anime : the actor and the anime.
    kind : one of ``Interaction.Kind``.
    score : the 1-10 score the event carries, if any.
    status : the watch status the event carries, if any.
    source : ``Interaction.Source``; data-set rows (no time) never count towards trending.
    occurred_at : when it happened; now when omitted. An imported list entry passes the time the
        other site last saw it change.
    """
    interaction = Interaction.objects.create(
        user=user,
        anime=anime,
        kind=kind,
        score=score,
        status=status,
        source=source,
        occurred_at=occurred_at or timezone.now(),
    )
    if source != Interaction.Source.DATASET:
        anime_id = anime.pk
        at = interaction.occurred_at
        assert at is not None
        transaction.on_commit(lambda: _trending_count(anime_id=anime_id, kind=kind, at=at), robust=True)
    return interaction


def _trending_count(*, anime_id: int, kind: str, at: datetime) -> None:
    from rankings.trending import trending_record

    try:
        trending_record(anime_id=anime_id, kind=kind, at=at)
    except Exception:
        logger.warning("trending counter not updated for anime %s (%s)", anime_id, kind, exc_info=True)


def user_state_changed(*, user_id: int) -> None:
    """The user's collection or "not interested" list changed: give them a new state token now
    and again after commit (an answer computed in between from the old rows would otherwise be
    kept under the new token), so reused recommendations are recomputed on the next request.
    Best effort: while Redis is down, serving reads the state from the database anyway."""
    from recsys.serving.store import user_state_touch

    def touch() -> None:
        try:
            user_state_touch(user_id=user_id)
        except Exception:
            logger.warning("state token of user %s not renewed", user_id, exc_info=True)

    touch()
    transaction.on_commit(touch, robust=True)
