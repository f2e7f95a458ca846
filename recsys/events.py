"""Recording user behaviour: every event lands in the one behaviour log the models train on."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User
from catalog.models import Anime
from recsys.models import Interaction


def interaction_record(
    *,
    user: User,
    anime: Anime,
    kind: str,
    score: int | None = None,
    status: str = "",
    source: str = Interaction.Source.SITE,
) -> Interaction:
    return Interaction.objects.create(
        user=user,
        anime=anime,
        kind=kind,
        score=score,
        status=status,
        source=source,
        occurred_at=timezone.now(),
    )
