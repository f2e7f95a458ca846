"""Rebuild the anime search index without downtime: new index, bulk load, atomic alias swap."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from catalog.documents import anime_alias
from catalog.search.client import ENGINE_ERRORS
from catalog.search.indexing import rebuild_index


class Command(BaseCommand):
    help = (
        "Build a new anime search index from the database and swap the alias to it; searches keep "
        "answering from the old index meanwhile. Same result as "
        "`manage.py search_index --rebuild --use-alias -f`."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = rebuild_index(progress=not options["no_progress"])
        except ENGINE_ERRORS as exc:
            raise CommandError(f"search server error: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"indexed {count} anime; alias {anime_alias()} swapped"))
