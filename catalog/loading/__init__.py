"""Loads the ETL's parquet tables into the database, idempotently.

Anime are keyed by ``catalog_key`` (``mal:<MyAnimeList id>``, else ``bgm:<bangumi id>``);
franchises by key; titles by (anime, text, language); genres and tags by name;
external ids by (anime, site, id); data-set users by ``dataset_user_id``; data-set list entries by
(user, anime). Each step reads what is already there, writes only what is missing or different,
and reports created / updated / unchanged rows, so a second load changes nothing.

Operator fields (``is_featured``, ``is_hidden``) are never written on update. Links, titles and
external ids are only added, never removed: operators may add their own.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from activity.models import Interaction, Source
from animesite.storage import Location
from catalog.etl.output import read_manifest
from catalog.loading.base import EtlOutputMissing, LoadContext, LoadReport, TableStats, Writer
from catalog.models import Anime

__all__ = ["EtlOutputMissing", "LoadContext", "LoadReport", "TableStats", "catalog_is_loaded", "catalog_load"]

logger = logging.getLogger(__name__)

SEARCH_CHECK_TIMEOUT_SECONDS = 5


def catalog_is_loaded(*, etl_dir: Path | str | Location | None = None) -> bool:
    """True when the catalogue and the data-set interactions are in the database.

    With an ETL manifest at hand, the row counts must reach its counts (a load cut short
    counts as not loaded); without one, any rows will do.
    """
    manifest = read_manifest(etl_dir or settings.ETL_OUTPUT_DIR)
    anime = Anime.objects.count()
    if not anime:
        return False
    interactions = Interaction.objects.filter(source=Source.DATASET).count()
    if manifest is None:
        return interactions > 0
    counts = manifest.get("counts", {})
    return anime >= counts.get("anime", 1) and interactions >= counts.get("interactions", 1)


def _search_index_is_empty() -> bool:
    """True when the anime index is missing or has no documents.

    Raises when the search server does not answer: the caller then leaves the index alone.
    """
    from elasticsearch import NotFoundError

    from catalog.documents import anime_alias
    from catalog.search.client import search_client

    client = search_client().options(request_timeout=SEARCH_CHECK_TIMEOUT_SECONDS, max_retries=0)
    try:
        response = client.count(index=anime_alias())
    except NotFoundError:
        return True
    return int(response.get("count", 0)) == 0


def catalog_search_refresh(*, report: LoadReport, progress: bool = True) -> None:
    """Rebuild the search index after a load that changed anything, or when the index is empty.

    A search outage never fails the load: the database stays the source of truth and search
    falls back to it.
    """
    try:
        if not report.changed and not _search_index_is_empty():
            return
        from catalog.search.indexing import rebuild_index

        report.search_documents = rebuild_index(progress=progress)
    except Exception as exc:
        report.search_error = str(exc) or exc.__class__.__name__
        logger.warning("search index not rebuilt: %s", report.search_error)


def catalog_load(
    *,
    etl_dir: Path | str | Location | None = None,
    run_etl: bool = True,
    rebuild_etl: bool = False,
    if_empty: bool = False,
    rebuild_search: bool = True,
    progress: bool = True,
    stdout: Writer | None = None,
) -> LoadReport:
    """Run the ETL when its output is missing (or ``rebuild_etl``), then upsert it into the database."""
    out_dir = Location(etl_dir or settings.ETL_OUTPUT_DIR)  # a path or URI

    def write(message: str) -> None:
        if stdout is not None:
            stdout.write(message + "\n")
        else:
            logger.info(message)

    if if_empty and catalog_is_loaded(etl_dir=out_dir):
        write("catalogue and interactions already loaded: nothing to do")
        return LoadReport(skipped=True)

    etl_seconds: float | None = None
    if rebuild_etl or read_manifest(out_dir) is None:
        if not run_etl:
            raise EtlOutputMissing(f"no complete ETL output in {out_dir}")
        from catalog.etl.job import run_etl as spark_etl

        start = time.perf_counter()
        result = spark_etl(
            data_dir=settings.DATA_DIR,
            output_dir=out_dir,
            master=settings.SPARK_MASTER,
            report=write,
            shuffle_partitions=settings.SPARK_SHUFFLE_PARTITIONS,
            driver_memory=settings.SPARK_DRIVER_MEMORY,
        )
        etl_seconds = round(time.perf_counter() - start, 2)
        write(f"ETL: {', '.join(f'{k}={v:,}' for k, v in result.counts.items())} in {etl_seconds:.1f} s")

    start = time.perf_counter()
    context = LoadContext(etl_dir=out_dir, progress=progress, write=write)
    for step in settings.DATA_LOAD_STEPS:
        import_string(step)(context)
    report = context.report
    report.etl_seconds = etl_seconds
    report.load_seconds = round(time.perf_counter() - start, 2)
    if rebuild_search:
        catalog_search_refresh(report=report, progress=progress)
    return report
