from __future__ import annotations

from celery import shared_task

from favorites.mal_import import mal_import_execute, mal_imports_requeue


@shared_task(acks_late=True, ignore_result=True, time_limit=900, soft_time_limit=840)
def mal_import_run(job_id: int) -> None:
    """Apply one MyAnimeList list import (see ``favorites.mal_import.mal_import_execute``)."""
    mal_import_execute(job_id=job_id)


@shared_task(ignore_result=True)
def mal_imports_requeue_task() -> None:
    """Queue again imports no worker took up (see ``favorites.mal_import.mal_imports_requeue``)."""
    mal_imports_requeue()
