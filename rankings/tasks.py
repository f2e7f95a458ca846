from __future__ import annotations

from celery import shared_task

from rankings.services import rankings_refresh


@shared_task(ignore_result=True, time_limit=540, soft_time_limit=500)
def rankings_refresh_task() -> dict[str, int]:
    """Beat: recompute the cached leaderboards (see ``rankings.services.rankings_refresh``)."""
    return rankings_refresh()
