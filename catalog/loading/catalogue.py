"""Loading the catalogue itself: anime (keyed by ``mal_id``), genres and tags (by name), titles
(by anime, text, language) and external ids (by anime, site, id)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models, transaction

from catalog.etl import transforms as tf
from catalog.loading.base import LoadContext, batches, read_columns, read_table
from catalog.models import Anime, AnimeTitle, ExternalId, Genre, Tag

logger = logging.getLogger(__name__)


# Anime columns the data owns (operator fields are absent on purpose).
ANIME_DATA_FIELDS = (
    "title",
    "title_en",
    "title_ja",
    "title_zh_hans",
    "title_zh_hant",
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
)


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
        value = row.get(name)
        if name in _BLANK_STRING_FIELDS:
            value = "" if value is None else str(value)
            limit = _ANIME_LIMITS[name]
            if limit and len(value) > limit:
                value = tf.truncate(value, limit) or ""
        values[name] = value
    values["type"] = values["type"] or Anime.Type.UNKNOWN
    values["members"] = int(values["members"] or 0)
    for name in ("episodes", "year"):
        values[name] = None if values[name] is None else int(values[name])
    if values["score"] is not None:
        values["score"] = round(float(values["score"]), 4)
    return values


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-6
    return bool(a == b)


def catalogue_load(context: LoadContext) -> None:
    """Upsert anime, genres, tags, titles and external ids; fills ``context.anime_ids``."""
    loader = CatalogueLoader(context)
    loader.load_anime()
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
        existing = {
            values["mal_id"]: values for values in Anime.objects.values("id", "mal_id", *ANIME_DATA_FIELDS)
        }
        to_write: list[Anime] = []
        for row in rows:
            values = anime_values(row)
            current = existing.get(row["mal_id"])
            if current is None:
                stats.created += 1
            elif all(_same(current[k], v) for k, v in values.items()):
                stats.unchanged += 1
                continue
            else:
                stats.updated += 1
            to_write.append(Anime(mal_id=row["mal_id"], **values))
        with self.context.bar(total=len(to_write), desc="anime", unit="anime") as bar:
            for batch in batches(to_write, 1000):
                with transaction.atomic():
                    # MySQL upsert on the unique mal_id: new rows are inserted, existing rows get the
                    # data fields only (never is_featured / is_hidden).
                    Anime.objects.bulk_create(
                        batch, update_conflicts=True, update_fields=[*ANIME_DATA_FIELDS, "updated_at"]
                    )
                bar.update(len(batch))
        self.context.anime_ids = dict(Anime.objects.values_list("mal_id", "id"))

    # genres and tags ------------------------------------------------------------------------

    def load_genres(self) -> None:
        mal_ids, names = read_columns(self.context.etl_dir, "anime_genres", ["mal_id", "genre"])
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
        self._link("anime genres", Anime.genres.through, "genre_id", mal_ids, names, ids)

    def load_tags(self) -> None:
        mal_ids, names = read_columns(self.context.etl_dir, "anime_tags", ["mal_id", "tag"])
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
        self._link("anime tags", Anime.tags.through, "tag_id", mal_ids, names, ids)

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
        mal_ids: Sequence[int],
        names: Sequence[str],
        ids: dict[str, int],
    ) -> None:
        stats = self.context.stats(label)
        existing = set(through.objects.values_list("anime_id", target))  # type: ignore[attr-defined]
        wanted = {
            (self.context.anime_ids[m], ids[n])
            for m, n in zip(mal_ids, names, strict=True)
            if m in self.context.anime_ids and n in ids
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
        mal_ids, texts, languages, kinds = read_columns(
            self.context.etl_dir, "anime_titles", ["mal_id", "text", "language", "kind"]
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
        for mal_id, text, language, kind in zip(mal_ids, texts, languages, kinds, strict=True):
            anime_id = self.context.anime_ids.get(mal_id)
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
        mal_ids, sites, external_ids = read_columns(
            self.context.etl_dir, "external_ids", ["mal_id", "site", "external_id"]
        )
        existing = set(
            ExternalId.objects.values_list("anime_id", "site", "external_id").iterator(chunk_size=20000)
        )
        existing_keys = {(a, s.lower(), e.lower()) for a, s, e in existing}
        new: list[ExternalId] = []
        for mal_id, site, external_id in zip(mal_ids, sites, external_ids, strict=True):
            anime_id = self.context.anime_ids.get(mal_id)
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
