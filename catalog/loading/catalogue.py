"""Loading the catalogue itself: anime (keyed by ``catalog_key``: ``mal:<MyAnimeList id>``, else
``bgm:<bangumi id>``; an entry that gains a MyAnimeList id keeps its row), franchises (by key; an
anime in a franchise an operator edited stays there), genres and tags (by name), titles (by anime,
text, language) and external ids (by anime, site, id)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from catalog.etl import transforms as tf
from catalog.loading.base import LoadContext, batches, read_columns, read_table
from catalog.models import ADULT_GENRES, Anime, AnimeTitle, ExternalId, Franchise, Genre, Tag

logger = logging.getLogger(__name__)


# Anime columns the data owns (operator fields are absent on purpose).
ANIME_DATA_FIELDS = (
    "mal_id",
    "bangumi_id",
    "source",
    "title",
    "title_en",
    "title_ja",
    "title_zh_hans",
    "title_zh_hant",
    "display_title_en",
    "display_title_zh",
    "type",
    "episodes",
    "aired_from",
    "aired_to",
    "year",
    "season",
    "score",
    "members",
    "synopsis_zh",
    "cover_url",
    "official_site",
    "broadcast_start",
    "broadcast_period_days",
)
# ETL column -> model field where the names differ.
ANIME_COLUMNS = {"display_title_en": "display_en", "display_title_zh": "display_zh"}


def _char_limit(model: type[models.Model], name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)


_ANIME_LIMITS = {name: _char_limit(Anime, name) for name in ANIME_DATA_FIELDS}
_BLANK_STRING_FIELDS = {
    name
    for name in ANIME_DATA_FIELDS
    if isinstance(Anime._meta.get_field(name), models.CharField | models.TextField)
}


def anime_values(row: dict[str, Any]) -> dict[str, Any]:
    """The database values of one ETL anime row (blank strings for missing text, known types)."""
    values: dict[str, Any] = {}
    for name in ANIME_DATA_FIELDS:
        value = row.get(ANIME_COLUMNS.get(name, name))
        if name in _BLANK_STRING_FIELDS:
            value = "" if value is None else str(value)
            limit = _ANIME_LIMITS[name]
            if limit and len(value) > limit:
                value = tf.truncate(value, limit) or ""
        values[name] = value
    values["type"] = values["type"] or Anime.Type.UNKNOWN
    values["members"] = int(values["members"] or 0)
    for name in ("episodes", "year", "mal_id", "bangumi_id", "broadcast_period_days"):
        values[name] = None if values[name] is None else int(values[name])
    values["source"] = values["source"] or Anime.Source.MAL
    start = values["broadcast_start"]
    if start is not None and start.tzinfo is None:  # parquet timestamps are UTC instants
        values["broadcast_start"] = start.replace(tzinfo=dt.UTC)
    if values["broadcast_start"] is not None:
        values["broadcast_start"] = values["broadcast_start"].replace(microsecond=0)
    if values["score"] is not None:
        values["score"] = round(float(values["score"]), 4)
    return values


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-6
    return bool(a == b)


def catalogue_load(context: LoadContext) -> None:
    """Upsert anime, franchises, genres, tags, titles and external ids; fills ``context.anime_keys``
    and ``context.anime_ids``."""
    loader = CatalogueLoader(context)
    loader.load_anime()
    loader.load_franchises()
    loader.load_genres()
    loader.load_tags()
    loader.load_titles()
    loader.load_external_ids()


class CatalogueLoader:
    def __init__(self, context: LoadContext) -> None:
        self.context = context

    def load_anime(self) -> None:
        stats = self.context.stats("anime")
        rows = read_table(self.context.etl_dir, "anime")
        existing = list(Anime.objects.values("id", "catalog_key", *ANIME_DATA_FIELDS))
        by_key = {values["catalog_key"]: values for values in existing}
        by_mal = {values["mal_id"]: values for values in existing if values["mal_id"] is not None}
        # An entry known by its bangumi id alone that gains a MyAnimeList id keeps its row.
        by_bangumi = {
            values["bangumi_id"]: values
            for values in existing
            if values["bangumi_id"] is not None and values["mal_id"] is None
        }
        new: list[Anime] = []
        changed: list[Anime] = []
        now = timezone.now()
        genre_keys, genre_names = read_columns(self.context.etl_dir, "anime_genres", ["anime_key", "genre"])
        adult = {k for k, g in zip(genre_keys, genre_names, strict=True) if g in ADULT_GENRES}
        for row in rows:
            key = row["anime_key"]
            values = anime_values(row)
            current = (
                by_key.get(key)
                or (by_mal.get(values["mal_id"]) if values["mal_id"] is not None else None)
                or (by_bangumi.get(values["bangumi_id"]) if values["bangumi_id"] is not None else None)
            )
            if current is None:
                stats.created += 1
                # Explicit adult titles arrive hidden (catalog.models.ADULT_GENRES); is_hidden is
                # not a data field, so a reload never changes an operator's choice.
                new.append(Anime(catalog_key=key, is_hidden=key in adult, **values))
            elif current["catalog_key"] == key and all(_same(current[k], v) for k, v in values.items()):
                stats.unchanged += 1
            else:
                stats.updated += 1
                changed.append(Anime(id=current["id"], catalog_key=key, updated_at=now, **values))
        with self.context.bar(total=len(new) + len(changed), desc="anime", unit="anime") as bar:
            for batch in batches(changed, 500):
                with transaction.atomic():
                    Anime.objects.bulk_update(batch, ["catalog_key", *ANIME_DATA_FIELDS, "updated_at"])
                bar.update(len(batch))
            for batch in batches(new, 1000):
                with transaction.atomic():
                    Anime.objects.bulk_create(batch)
                bar.update(len(batch))
        self.context.anime_keys = dict(Anime.objects.values_list("catalog_key", "id"))
        self.context.anime_ids = {
            mal_id: pk for mal_id, pk in Anime.objects.values_list("mal_id", "id") if mal_id is not None
        }

    # franchises -------------------------------------------------------------------------------

    def load_franchises(self) -> None:
        """Franchises by key, then each anime's franchise and air-order position; anime in a
        franchise an operator edited stay where the operator put them."""
        stats = self.context.stats("franchises")
        rows = read_table(self.context.etl_dir, "franchises")
        existing = {f.key: f for f in Franchise.objects.all()}
        new: list[Franchise] = []
        renamed: list[Franchise] = []
        for row in rows:
            found = existing.get(row["franchise_key"])
            names = {"name_en": row["name_en"] or "", "name_zh": row["name_zh"] or ""}
            for name, value in names.items():
                names[name] = tf.truncate(value, 255) or ""
            if found is None:
                new.append(Franchise(key=row["franchise_key"], **names))
            elif not found.is_curated and (found.name_en, found.name_zh) != (
                names["name_en"],
                names["name_zh"],
            ):
                found.name_en, found.name_zh = names["name_en"], names["name_zh"]
                found.updated_at = timezone.now()
                renamed.append(found)
            else:
                stats.unchanged += 1
        for batch in batches(new):
            Franchise.objects.bulk_create(batch, ignore_conflicts=True)
        Franchise.objects.bulk_update(renamed, ["name_en", "name_zh", "updated_at"], batch_size=1000)
        stats.created += len(new)
        stats.updated += len(renamed)

        links = self.context.stats("anime franchises")
        franchise_ids = dict(Franchise.objects.values_list("key", "id"))
        curated = set(Franchise.objects.filter(is_curated=True).values_list("id", flat=True))
        keys, franchise_keys, positions = read_columns(
            self.context.etl_dir, "anime", ["anime_key", "franchise_key", "franchise_position"]
        )
        current = {
            pk: (fid, pos)
            for pk, fid, pos in Anime.objects.values_list("id", "franchise_id", "franchise_position")
        }
        changed: list[Anime] = []
        for key, franchise_key, position in zip(keys, franchise_keys, positions, strict=True):
            anime_id = self.context.anime_keys.get(key)
            if anime_id is None or franchise_key is None:
                continue
            wanted = (franchise_ids.get(franchise_key), int(position or 0))
            now = current.get(anime_id, (None, 0))
            if now[0] in curated or now == wanted:
                links.unchanged += 1
                continue
            links.updated += 1
            changed.append(Anime(id=anime_id, franchise_id=wanted[0], franchise_position=wanted[1]))
        for batch in batches(changed, 1000):
            with transaction.atomic():
                Anime.objects.bulk_update(batch, ["franchise", "franchise_position"])
        # Franchises the data no longer produces, and that no operator made, go away once empty.
        Franchise.objects.filter(is_curated=False, entries__isnull=True).exclude(
            key__in=[row["franchise_key"] for row in rows]
        ).delete()

    # genres and tags ------------------------------------------------------------------------

    def load_genres(self) -> None:
        anime_keys, names = read_columns(self.context.etl_dir, "anime_genres", ["anime_key", "genre"])
        stats = self.context.stats("genres")
        existing = dict(Genre.objects.values_list("name", "id"))
        wanted = sorted(set(names))
        missing = [n for n in wanted if n not in existing]
        stats.unchanged += len(wanted) - len(missing)
        if missing:
            taken = set(Genre.objects.values_list("slug", flat=True))
            new: list[Genre] = []
            for name in missing:
                slug = base = tf.slugify_genre(name)
                n = 2
                while slug in taken:
                    slug, n = f"{base}-{n}", n + 1
                taken.add(slug)
                new.append(Genre(name=name, slug=slug))
            before = Genre.objects.count()
            Genre.objects.bulk_create(new, ignore_conflicts=True)
            stats.created += Genre.objects.count() - before
            stats.unchanged += len(missing) - (Genre.objects.count() - before)
        ids = self._resolve_names(Genre, wanted)
        self._link("anime genres", Anime.genres.through, "genre_id", anime_keys, names, ids)

    def load_tags(self) -> None:
        anime_keys, names = read_columns(self.context.etl_dir, "anime_tags", ["anime_key", "tag"])
        stats = self.context.stats("tags")
        wanted = sorted(set(names))
        existing = set(Tag.objects.values_list("name", flat=True))
        existing_keys = {tf.title_key(n) for n in existing}
        missing = [n for n in wanted if n not in existing and tf.title_key(n) not in existing_keys]
        stats.unchanged += len(wanted) - len(missing)
        if missing:
            before = Tag.objects.count()
            with self.context.bar(total=len(missing), desc="tags", unit="tag") as bar:
                for batch in batches(missing):
                    Tag.objects.bulk_create([Tag(name=n) for n in batch], ignore_conflicts=True)
                    bar.update(len(batch))
            created = Tag.objects.count() - before
            stats.created += created
            stats.unchanged += len(missing) - created
        ids = self._resolve_names(Tag, wanted)
        self._link("anime tags", Anime.tags.through, "tag_id", anime_keys, names, ids)

    def _resolve_names(self, model: type[Genre] | type[Tag], names: Iterable[str]) -> dict[str, int]:
        """Row ids by name: exact match first, then the database's own (case-insensitive) match."""
        exact = dict(model.objects.values_list("name", "id"))
        by_key = {tf.title_key(name): pk for name, pk in exact.items()}
        resolved: dict[str, int] = {}
        pk: int | None
        for name in names:
            pk = exact.get(name) or by_key.get(tf.title_key(name))
            if pk is None:
                pk = model.objects.filter(name=name).values_list("id", flat=True).first()
            if pk is None:
                logger.warning("%s %r not found after insert", model.__name__, name)
                continue
            resolved[name] = pk
        return resolved

    def _link(
        self,
        label: str,
        through: type[models.Model],
        target: str,
        anime_keys: Sequence[str],
        names: Sequence[str],
        ids: dict[str, int],
    ) -> None:
        stats = self.context.stats(label)
        existing = set(through.objects.values_list("anime_id", target))  # type: ignore[attr-defined]
        wanted = {
            (self.context.anime_keys[m], ids[n])
            for m, n in zip(anime_keys, names, strict=True)
            if m in self.context.anime_keys and n in ids
        }
        missing = sorted(wanted - existing)
        stats.unchanged += len(wanted) - len(missing)
        stats.created += len(missing)
        with self.context.bar(total=len(missing), desc=label, unit="link") as bar:
            for batch in batches(missing, 5000):
                through.objects.bulk_create(  # type: ignore[attr-defined]
                    [through(anime_id=a, **{target: t}) for a, t in batch], ignore_conflicts=True
                )
                bar.update(len(batch))

    # titles and external ids --------------------------------------------------------------

    def load_titles(self) -> None:
        stats = self.context.stats("titles")
        anime_keys, texts, languages, kinds = read_columns(
            self.context.etl_dir, "anime_titles", ["anime_key", "text", "language", "kind"]
        )
        existing: dict[tuple[int, str, str], tuple[int, str]] = {}
        existing_keys: set[tuple[int, str, str]] = set()
        for pk, owner, text, language, kind in AnimeTitle.objects.values_list(
            "id", "anime_id", "text", "language", "kind"
        ).iterator(chunk_size=10000):
            existing[(owner, text, language)] = (pk, kind)
            existing_keys.add((owner, tf.title_key(text), language))
        new: list[AnimeTitle] = []
        changed: list[AnimeTitle] = []
        for anime_key, text, language, kind in zip(anime_keys, texts, languages, kinds, strict=True):
            anime_id = self.context.anime_keys.get(anime_key)
            if anime_id is None:
                continue
            found = existing.get((anime_id, text, language))
            if found is None:
                key = (anime_id, tf.title_key(text), language)
                if key in existing_keys:  # the same name to the database's collation
                    stats.unchanged += 1
                    continue
                existing_keys.add(key)
                new.append(AnimeTitle(anime_id=anime_id, text=text, language=language, kind=kind))
            elif found[1] != kind:
                changed.append(AnimeTitle(id=found[0], kind=kind))
            else:
                stats.unchanged += 1
        before = AnimeTitle.objects.count()
        with self.context.bar(total=len(new), desc="titles", unit="title") as bar:
            for batch in batches(new):
                AnimeTitle.objects.bulk_create(batch, ignore_conflicts=True)
                bar.update(len(batch))
        created = AnimeTitle.objects.count() - before if new else 0
        stats.created += created
        stats.unchanged += len(new) - created
        for batch in batches(changed):
            AnimeTitle.objects.bulk_update(batch, ["kind"])
        stats.updated += len(changed)

    def load_external_ids(self) -> None:
        stats = self.context.stats("external ids")
        anime_keys, sites, external_ids = read_columns(
            self.context.etl_dir, "external_ids", ["anime_key", "site", "external_id"]
        )
        existing = set(
            ExternalId.objects.values_list("anime_id", "site", "external_id").iterator(chunk_size=20000)
        )
        existing_keys = {(a, s.lower(), e.lower()) for a, s, e in existing}
        new: list[ExternalId] = []
        for anime_key, site, external_id in zip(anime_keys, sites, external_ids, strict=True):
            anime_id = self.context.anime_keys.get(anime_key)
            if anime_id is None:
                continue
            key = (anime_id, site.lower(), external_id.lower())
            if (anime_id, site, external_id) in existing or key in existing_keys:
                stats.unchanged += 1
                continue
            existing_keys.add(key)
            new.append(ExternalId(anime_id=anime_id, site=site, external_id=external_id))
        before = ExternalId.objects.count()
        with self.context.bar(total=len(new), desc="external ids", unit="id") as bar:
            for batch in batches(new, 5000):
                ExternalId.objects.bulk_create(batch, ignore_conflicts=True)
                bar.update(len(batch))
        created = ExternalId.objects.count() - before if new else 0
        stats.created += created
        stats.unchanged += len(new) - created
