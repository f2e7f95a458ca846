from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.loading import EtlOutputMissing, catalog_load


class Command(BaseCommand):
    help = (
        "Load the real anime data: run the Spark ETL when its parquet output is missing, then upsert "
        "anime, titles, genres, tags, external ids, data-set users and their list entries (idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the catalogue and interactions are loaded",
        )
        parser.add_argument(
            "--skip-etl", action="store_true", help="never run the ETL; fail if its output is missing"
        )
        parser.add_argument(
            "--rebuild-etl", action="store_true", help="run the ETL even when its output exists"
        )
        parser.add_argument("--etl-dir", default=settings.ETL_OUTPUT_DIR, help="the ETL's parquet folder")
        parser.add_argument("--no-search", action="store_true", help="do not rebuild the search index")
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["skip_etl"] and options["rebuild_etl"]:
            raise CommandError("--skip-etl and --rebuild-etl exclude each other")
        start = time.perf_counter()
        try:
            report = catalog_load(
                etl_dir=Path(options["etl_dir"]),
                run_etl=not options["skip_etl"],
                rebuild_etl=options["rebuild_etl"],
                if_empty=options["if_empty"],
                rebuild_search=not options["no_search"],
                progress=not options["no_progress"],
                stdout=self.stdout,
            )
        except EtlOutputMissing as exc:
            raise CommandError(f"{exc} (run without --skip-etl, or `manage.py etl_catalog`)") from exc
        if report.skipped:
            return
        for line in report.lines():
            self.stdout.write(line)
        if report.etl_seconds is not None:
            self.stdout.write(f"ETL time: {report.etl_seconds:.1f} s")
        self.stdout.write(f"load time: {report.load_seconds:.1f} s")
        if report.search_documents is not None:
            self.stdout.write(f"search index rebuilt: {report.search_documents:,} documents")
        elif report.search_error:
            self.stdout.write(self.style.WARNING(f"search index not rebuilt: {report.search_error}"))
        verdict = "changes written" if report.changed else "nothing changed"
        self.stdout.write(
            self.style.SUCCESS(f"catalogue loaded ({verdict}) in {time.perf_counter() - start:.1f} s")
        )
