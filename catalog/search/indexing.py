"""Search index maintenance: incremental updates and zero-downtime rebuilds.

Searches and writes go through the alias ``<prefix>-anime``. A rebuild creates
``<prefix>-anime-<timestamp>`` (the naming ``manage.py search_index --rebuild --use-alias`` uses
too), streams every anime into it, then moves the alias in one atomic ``_aliases`` call and drops
the old index, so searches keep answering from the old index until the new one is complete.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone
from elasticsearch import Elasticsearch, NotFoundError
from elasticsearch.helpers import streaming_bulk
from tqdm import tqdm

from catalog.documents import AnimeDocument, anime_alias
from catalog.models import Anime
from catalog.search.client import indexing_client
from catalog.services import catalog_generation_renew

logger = logging.getLogger(__name__)

BULK_CHUNK_SIZE = 500


def index_settings() -> dict[str, Any]:
    """Settings and mappings of a new anime index (analysis included)."""
    return AnimeDocument._index.to_dict()


def live_indices(client: Elasticsearch) -> dict[str, bool]:
    """Concrete anime indices: ``{name: True if the alias points at it}``.

    Includes indices still being built by a rebuild, so writes made during a rebuild reach the
    new index too. A concrete index named like the alias (left by a plain
    ``search_index --rebuild``) counts as aliased.
    """
    alias = anime_alias()
    own = re.compile(rf"{re.escape(alias)}(-\d{{20}})?")
    found = client.indices.get_alias(index=f"{alias}*")
    return {
        name: (name == alias or alias in (info.get("aliases") or {}))
        for name, info in found.items()
        if own.fullmatch(name)
    }


def _documents(anime: Iterable[Anime], index: str) -> Iterator[dict[str, Any]]:
    doc = AnimeDocument()
    for obj in anime:
        yield {"_op_type": "index", "_index": index, "_id": obj.pk, "_source": doc.prepare(obj)}


def index_anime(*, anime_ids: Sequence[int]) -> None:
    """Write the current state of ``anime_ids`` to the index; drop the ones that no longer exist.

    Hidden anime stay in the index with ``is_hidden`` set: searches filter them out for everyone
    but staff. Safe to run twice. Raises the client's error when the search server is down (the
    Celery task retries).
    """
    ids = sorted({int(i) for i in anime_ids})
    if not ids:
        return
    client = indexing_client()
    targets = list(live_indices(client))
    if not targets:
        logger.warning("search index %s does not exist yet; run `manage.py search_rebuild`", anime_alias())
        return
    found = list(AnimeDocument().get_queryset().filter(id__in=ids))
    gone = sorted(set(ids) - {a.pk for a in found})
    actions: list[dict[str, Any]] = []
    for target in targets:
        actions.extend(_documents(found, target))
        actions.extend({"_op_type": "delete", "_index": target, "_id": pk} for pk in gone)
    for ok, item in streaming_bulk(client, actions, raise_on_error=True, ignore_status=(404,)):
        if not ok:  # pragma: no cover - raise_on_error raises first
            logger.error("search index write failed: %s", item)
    logger.info("search index: %d anime written, %d removed", len(found), len(gone))


def rebuild_index(*, progress: bool = True) -> int:
    """Build a fresh index from the database and swap it in; returns the number of documents."""
    client = indexing_client()
    alias = anime_alias()
    new_index = f"{alias}-{datetime.now().strftime('%Y%m%d%H%M%S%f')}"
    document = AnimeDocument()
    started = timezone.now()
    total = document.get_queryset().count()
    logger.info("search rebuild: creating %s for %d anime", new_index, total)
    client.indices.create(index=new_index, **index_settings())
    indexed = 0
    try:
        with tqdm(total=total, desc=f"indexing {new_index}", unit="anime", disable=not progress) as bar:
            for ok, _item in streaming_bulk(
                client,
                _documents(document.get_indexing_queryset(), new_index),
                chunk_size=BULK_CHUNK_SIZE,
                raise_on_error=True,
            ):
                indexed += int(ok)
                bar.update(1)
        client.indices.refresh(index=new_index)
        previous = live_indices(client)
        actions: list[dict[str, Any]] = [{"add": {"index": new_index, "alias": alias}}]
        for name, aliased in previous.items():
            if name == alias:
                actions.append({"remove_index": {"index": name}})
            elif aliased:
                actions.append({"remove": {"index": name, "alias": alias}})
        client.indices.update_aliases(actions=actions)
    except BaseException:
        client.options(ignore_status=404).indices.delete(index=new_index)
        raise
    logger.info("search rebuild: alias %s -> %s (%d documents)", alias, new_index, indexed)
    for name in previous:
        # Older indices: the one the alias left, and any left behind by an interrupted rebuild.
        if name != alias and name < new_index:
            try:
                client.indices.delete(index=name)
                logger.info("search rebuild: deleted old index %s", name)
            except NotFoundError:
                pass
    # Edits saved while the load ran may have been read before they happened: write them again.
    changed = list(Anime.objects.filter(updated_at__gte=started).values_list("id", flat=True))
    if changed:
        index_anime(anime_ids=changed)
    # Cached search answers and the autocomplete title index follow the new index.
    catalog_generation_renew()
    return indexed


def delete_index() -> None:
    """Remove the alias and every anime index behind it (tests and full resets)."""
    client = indexing_client()
    for name in live_indices(client):
        client.options(ignore_status=404).indices.delete(index=name)
