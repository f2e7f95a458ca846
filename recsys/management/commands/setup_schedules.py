"""``manage.py setup_schedules``: seed the periodic tasks into django-celery-beat's tables.

Idempotent. Existing rows are left alone (operators edit them in the admin) unless ``--reset``.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


def schedule_defaults() -> dict[str, dict[str, Any]]:
    """The default periodic tasks, from settings (``PERIODIC_TASK_DEFAULTS`` or ``CELERY_BEAT_SCHEDULE``)."""
    defaults = getattr(settings, "PERIODIC_TASK_DEFAULTS", None) or getattr(
        settings, "CELERY_BEAT_SCHEDULE", {}
    )
    return dict(defaults)


def _schedule_fields(schedule: object) -> dict[str, Any]:
    if isinstance(schedule, crontab):
        model = CrontabSchedule.from_schedule(schedule)
        model.save()
        return {"crontab": model, "interval": None}
    if isinstance(schedule, int | float | timedelta):
        seconds = schedule.total_seconds() if isinstance(schedule, timedelta) else float(schedule)
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=int(seconds), period=IntervalSchedule.SECONDS
        )
        return {"interval": interval, "crontab": None}
    raise CommandError(f"unsupported schedule {schedule!r}")


class Command(BaseCommand):
    help = "Create the default periodic tasks (nightly retrain, ...) so they can be edited in the admin."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--reset", action="store_true", help="overwrite rows edited in the admin")

    def handle(self, *args: Any, **options: Any) -> None:
        for name, entry in schedule_defaults().items():
            existing = PeriodicTask.objects.filter(name=name).first()
            if existing is not None and not options["reset"]:
                self.stdout.write(f"  {name}: kept ({existing.crontab or existing.interval})")
                continue
            options_ = entry.get("options", {})
            fields = {
                "task": entry["task"],
                "args": json.dumps(entry.get("args", [])),
                "kwargs": json.dumps(entry.get("kwargs", {})),
                "queue": options_.get("queue"),
                **_schedule_fields(entry["schedule"]),
            }
            _, created = PeriodicTask.objects.update_or_create(name=name, defaults=fields)
            self.stdout.write(f"  {name}: {'created' if created else 'reset'}")
