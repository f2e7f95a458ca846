from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from catalog.etl.job import run_etl


class Command(BaseCommand):
    help = "Run the Spark ETL: raw anime files (DATA_DIR) -> parquet tables (ETL_OUTPUT_DIR)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data-dir", default=settings.DATA_DIR, help="input folder: a path or URI")
        parser.add_argument(
            "--etl-dir",
            default=settings.ETL_OUTPUT_DIR,
            help="output folder: a path or URI (file://, hdfs://, ...)",
        )
        parser.add_argument("--master", default=settings.SPARK_MASTER, help="Spark master URL")

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_etl(
            data_dir=str(options["data_dir"]),
            output_dir=str(options["etl_dir"]),
            master=options["master"],
            report=self.stdout.write,
            shuffle_partitions=settings.SPARK_SHUFFLE_PARTITIONS,
            driver_memory=settings.SPARK_DRIVER_MEMORY,
        )
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<22} {count:>9,}")
        for name, figure in result.checks.items():
            self.stdout.write(f"  check {name:<32} {figure:>9,}")
        for name, seconds in result.timings.items():
            self.stdout.write(f"  time {name:<20} {seconds:>7.1f} s")
        self.stdout.write(self.style.SUCCESS(f"ETL done in {result.seconds:.1f} s -> {result.output_dir}"))
