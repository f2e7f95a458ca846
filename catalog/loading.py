"""Loads the ETL's parquet tables into the database, idempotently.

Anime are keyed by ``catalog_key`` (``mal:<MyAnimeList id>``, else ``bgm:<bangumi id>``, see
``catalog.etl.transforms.anime_key``; an entry that gains a MyAnimeList id keeps its row);
franchises by their key; titles by (anime, text, language); genres and tags by name;
external ids by (anime, site, id); data-set users by ``dataset_user_id``; data-set list entries by
(user, anime). Each step reads what is already there, writes only what is missing or different,
and reports created / updated / unchanged rows, so a second load changes nothing.

Operator fields (``is_featured``, ``is_hidden``) are never written on update, nor the franchise of
an anime in a franchise an operator edited (merged or split). Links, titles and external ids are
only added, never removed: operators may add their own.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import User
from catalog.etl import transforms as tf
from catalog.etl.output import read_manifest
from catalog.models import Anime, AnimeTitle, ExternalId, Franchise, Genre, Tag
from favorites.models import CollectionEntry, EntrySource
from recsys.models import Interaction

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
USERS_PER_CHUNK = 250

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


@dataclass
class TableStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated


@dataclass
class LoadReport:
    tables: dict[str, TableStats] = field(default_factory=dict)
    etl_seconds: float | None = None
    load_seconds: float = 0.0
    search_documents: int | None = None
    search_error: str | None = None
    skipped: bool = False

    @property
    def changed(self) -> bool:
        return any(stats.changed for stats in self.tables.values())

    def lines(self) -> list[str]:
        out = [f"{'table':<20} {'created':>9} {'updated':>9} {'unchanged':>10}"]
        for name, s in self.tables.items():
            out.append(f"{name:<20} {s.created:>9,} {s.updated:>9,} {s.unchanged:>10,}")
        return out


class EtlOutputMissing(Exception):
    pass


class Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


# --- reading the parquet -----------------------------------------------------------------


def read_table(etl_dir: Path, name: str) -> list[dict[str, Any]]:
    return pq.read_table(etl_dir / name).to_pylist()


def read_columns(etl_dir: Path, name: str, columns: Sequence[str]) -> list[list[Any]]:
    table = pq.read_table(etl_dir / name, columns=list(columns))
    return [table.column(c).to_pylist() for c in columns]


# --- state checks --------------------------------------------------------------------------


def catalog_is_loaded(*, etl_dir: Path | str | None = None) -> bool:
    """True when the catalogue and the data-set interactions are in the database.

    With an ETL manifest at hand, the row counts must reach its counts (a load cut short
    counts as not loaded); without one, any rows will do.
    """
    manifest = read_manifest(etl_dir or settings.ETL_OUTPUT_DIR)
    anime = Anime.objects.count()
    if not anime:
        return False
    interactions = Interaction.objects.filter(source=Interaction.Source.DATASET).count()
    if manifest is None:
        return interactions > 0
    counts = manifest.get("counts", {})
    return anime >= counts.get("anime", 1) and interactions >= counts.get("interactions", 1)


# --- the load ------------------------------------------------------------------------------


def _batches(rows: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


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


class CatalogLoader:
    def __init__(self, *, etl_dir: Path, progress: bool, write: Callable[[str], None]) -> None:
        self.etl_dir = etl_dir
        self.progress = progress
        self.write = write
        self.report = LoadReport()
        self.anime_ids: dict[str, int] = {}  # catalog_key -> id
        self.anime_by_mal: dict[int, int] = {}  # MyAnimeList id -> id (the data-set interactions)
        self.user_ids: dict[int, int] = {}

    def _bar(self, **kwargs: Any) -> tqdm[Any]:
        return tqdm(disable=not self.progress, leave=False, dynamic_ncols=True, **kwargs)

    def _stats(self, name: str) -> TableStats:
        return self.report.tables.setdefault(name, TableStats())

    def run(self) -> LoadReport:
        self.load_anime()
        self.load_franchises()
        self.load_genres()
        self.load_tags()
        self.load_titles()
        self.load_external_ids()
        self.load_users()
        self.load_interactions()
        return self.report

    # anime --------------------------------------------------------------------------------

    def load_anime(self) -> None:
        stats = self._stats("anime")
        rows = read_table(self.etl_dir, "anime")
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
                new.append(Anime(catalog_key=key, **values))
            elif current["catalog_key"] == key and all(_same(current[k], v) for k, v in values.items()):
                stats.unchanged += 1
            else:
                stats.updated += 1
                changed.append(Anime(id=current["id"], catalog_key=key, updated_at=now, **values))
        with self._bar(total=len(new) + len(changed), desc="anime", unit="anime") as bar:
            for batch in _batches(changed, 500):
                with transaction.atomic():
                    Anime.objects.bulk_update(batch, ["catalog_key", *ANIME_DATA_FIELDS, "updated_at"])
                bar.update(len(batch))
            for batch in _batches(new, 1000):
                with transaction.atomic():
                    Anime.objects.bulk_create(batch)
                bar.update(len(batch))
        self.anime_ids = dict(Anime.objects.values_list("catalog_key", "id"))
        self.anime_by_mal = {
            mal_id: pk for mal_id, pk in Anime.objects.values_list("mal_id", "id") if mal_id is not None
        }

    # franchises -------------------------------------------------------------------------------

    def load_franchises(self) -> None:
        """Franchises by key, then each anime's franchise and air-order position; anime in a
        franchise an operator edited stay where the operator put them."""
        stats = self._stats("franchises")
        rows = read_table(self.etl_dir, "franchises")
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
        for batch in _batches(new):
            Franchise.objects.bulk_create(batch, ignore_conflicts=True)
        Franchise.objects.bulk_update(renamed, ["name_en", "name_zh", "updated_at"], batch_size=1000)
        stats.created += len(new)
        stats.updated += len(renamed)

        links = self._stats("anime franchises")
        franchise_ids = dict(Franchise.objects.values_list("key", "id"))
        curated = set(Franchise.objects.filter(is_curated=True).values_list("id", flat=True))
        keys, franchise_keys, positions = read_columns(
            self.etl_dir, "anime", ["anime_key", "franchise_key", "franchise_position"]
        )
        current = {
            pk: (fid, pos)
            for pk, fid, pos in Anime.objects.values_list("id", "franchise_id", "franchise_position")
        }
        changed: list[Anime] = []
        for key, franchise_key, position in zip(keys, franchise_keys, positions, strict=True):
            anime_id = self.anime_ids.get(key)
            if anime_id is None or franchise_key is None:
                continue
            wanted = (franchise_ids.get(franchise_key), int(position or 0))
            now = current.get(anime_id, (None, 0))
            if now[0] in curated or now == wanted:
                links.unchanged += 1
                continue
            links.updated += 1
            changed.append(Anime(id=anime_id, franchise_id=wanted[0], franchise_position=wanted[1]))
        for batch in _batches(changed, 1000):
            with transaction.atomic():
                Anime.objects.bulk_update(batch, ["franchise", "franchise_position"])
        # Franchises the data no longer produces, and that no operator made, go away once empty.
        Franchise.objects.filter(is_curated=False, entries__isnull=True).exclude(
            key__in=[row["franchise_key"] for row in rows]
        ).delete()

    # genres and tags ------------------------------------------------------------------------

    def load_genres(self) -> None:
        anime_keys, names = read_columns(self.etl_dir, "anime_genres", ["anime_key", "genre"])
        stats = self._stats("genres")
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
        anime_keys, names = read_columns(self.etl_dir, "anime_tags", ["anime_key", "tag"])
        stats = self._stats("tags")
        wanted = sorted(set(names))
        existing = set(Tag.objects.values_list("name", flat=True))
        existing_keys = {tf.title_key(n) for n in existing}
        missing = [n for n in wanted if n not in existing and tf.title_key(n) not in existing_keys]
        stats.unchanged += len(wanted) - len(missing)
        if missing:
            before = Tag.objects.count()
            with self._bar(total=len(missing), desc="tags", unit="tag") as bar:
                for batch in _batches(missing):
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
        stats = self._stats(label)
        existing = set(through.objects.values_list("anime_id", target))  # type: ignore[attr-defined]
        wanted = {
            (self.anime_ids[m], ids[n])
            for m, n in zip(anime_keys, names, strict=True)
            if m in self.anime_ids and n in ids
        }
        missing = sorted(wanted - existing)
        stats.unchanged += len(wanted) - len(missing)
        stats.created += len(missing)
        with self._bar(total=len(missing), desc=label, unit="link") as bar:
            for batch in _batches(missing, 5000):
                through.objects.bulk_create(  # type: ignore[attr-defined]
                    [through(anime_id=a, **{target: t}) for a, t in batch], ignore_conflicts=True
                )
                bar.update(len(batch))

    # titles and external ids --------------------------------------------------------------

    def load_titles(self) -> None:
        stats = self._stats("titles")
        anime_keys, texts, languages, kinds = read_columns(
            self.etl_dir, "anime_titles", ["anime_key", "text", "language", "kind"]
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
            anime_id = self.anime_ids.get(anime_key)
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
        with self._bar(total=len(new), desc="titles", unit="title") as bar:
            for batch in _batches(new):
                AnimeTitle.objects.bulk_create(batch, ignore_conflicts=True)
                bar.update(len(batch))
        created = AnimeTitle.objects.count() - before if new else 0
        stats.created += created
        stats.unchanged += len(new) - created
        for batch in _batches(changed):
            AnimeTitle.objects.bulk_update(batch, ["kind"])
        stats.updated += len(changed)

    def load_external_ids(self) -> None:
        stats = self._stats("external ids")
        anime_keys, sites, external_ids = read_columns(
            self.etl_dir, "external_ids", ["anime_key", "site", "external_id"]
        )
        existing = set(
            ExternalId.objects.values_list("anime_id", "site", "external_id").iterator(chunk_size=20000)
        )
        existing_keys = {(a, s.lower(), e.lower()) for a, s, e in existing}
        new: list[ExternalId] = []
        for anime_key, site, external_id in zip(anime_keys, sites, external_ids, strict=True):
            anime_id = self.anime_ids.get(anime_key)
            if anime_id is None:
                continue
            key = (anime_id, site.lower(), external_id.lower())
            if (anime_id, site, external_id) in existing or key in existing_keys:
                stats.unchanged += 1
                continue
            existing_keys.add(key)
            new.append(ExternalId(anime_id=anime_id, site=site, external_id=external_id))
        before = ExternalId.objects.count()
        with self._bar(total=len(new), desc="external ids", unit="id") as bar:
            for batch in _batches(new, 5000):
                ExternalId.objects.bulk_create(batch, ignore_conflicts=True)
                bar.update(len(batch))
        created = ExternalId.objects.count() - before if new else 0
        stats.created += created
        stats.unchanged += len(new) - created

    # users and their list entries ----------------------------------------------------------

    def load_users(self) -> None:
        stats = self._stats("dataset users")
        (dataset_ids,) = read_columns(self.etl_dir, "users", ["dataset_user_id"])
        existing = self._dataset_users()
        missing = [d for d in dataset_ids if d not in existing]
        stats.unchanged += len(dataset_ids) - len(missing)
        if missing:
            # One unusable password for every data-set account: they can never log in.
            password = make_password(None)
            wanted_names = {f"mal_{d}" for d in missing}
            taken = set(User.objects.filter(username__in=wanted_names).values_list("username", flat=True))
            new = [
                User(
                    username=f"mal_{d}" if f"mal_{d}" not in taken else f"mal_{d}-dataset",
                    password=password,
                    source=User.Source.DATASET,
                    dataset_user_id=d,
                )
                for d in missing
            ]
            with self._bar(total=len(new), desc="dataset users", unit="user") as bar:
                for batch in _batches(new):
                    User.objects.bulk_create(batch, ignore_conflicts=True)
                    bar.update(len(batch))
            self.user_ids = self._dataset_users()
            created = len([d for d in missing if d in self.user_ids])
            stats.created += created
            if created < len(missing):
                logger.warning("%d data-set users could not be created", len(missing) - created)
        else:
            self.user_ids = existing

    @staticmethod
    def _dataset_users() -> dict[int, int]:
        rows = User.objects.filter(dataset_user_id__isnull=False).values_list("dataset_user_id", "id")
        return {int(dataset_id): pk for dataset_id, pk in rows if dataset_id is not None}

    def load_interactions(self) -> None:
        """List entries go to the behaviour log (``Interaction``) and to the collection.

        Both are keyed by (user, anime) among data-set rows.
        """
        log_stats = self._stats("interactions")
        entry_stats = self._stats("collection entries")
        dataset_ids, mal_ids, scores = read_columns(
            self.etl_dir, "interactions", ["dataset_user_id", "mal_id", "score"]
        )
        by_user: dict[int, dict[int, int | None]] = {}
        skipped = 0
        for dataset_id, mal_id, score in zip(dataset_ids, mal_ids, scores, strict=True):
            user_id = self.user_ids.get(dataset_id)
            anime_id = self.anime_by_mal.get(mal_id)
            if user_id is None or anime_id is None:
                skipped += 1
                continue
            by_user.setdefault(user_id, {})[anime_id] = None if score is None else int(score)
        if skipped:
            logger.warning("%d data-set interactions skipped: unknown user or anime", skipped)

        users = sorted(by_user)
        with self._bar(total=len(dataset_ids) - skipped, desc="interactions", unit="entry") as bar:
            for start in range(0, len(users), USERS_PER_CHUNK):
                chunk = users[start : start + USERS_PER_CHUNK]
                expected = _fingerprint_of(chunk, by_user)
                size = sum(len(by_user[u]) for u in chunk)
                with transaction.atomic():
                    if _fingerprint_in_db(Interaction, chunk, dataset_only=True) == expected:
                        log_stats.unchanged += size
                    else:
                        self._sync_log(chunk, by_user, log_stats)
                    if _fingerprint_in_db(CollectionEntry, chunk, dataset_only=False) == expected:
                        entry_stats.unchanged += size
                    else:
                        self._sync_collection(chunk, by_user, entry_stats)
                bar.update(size)

    def _sync_log(
        self, users: Sequence[int], wanted: dict[int, dict[int, int | None]], stats: TableStats
    ) -> None:
        existing: dict[tuple[int, int], tuple[int, int | None]] = {}
        for pk, user_id, anime_id, score in Interaction.objects.filter(
            user_id__in=users, source=Interaction.Source.DATASET, kind=Interaction.Kind.LIST
        ).values_list("id", "user_id", "anime_id", "score"):
            existing.setdefault((user_id, anime_id), (pk, score))
        new: list[Interaction] = []
        changed: list[Interaction] = []
        for user_id in users:
            for anime_id, score in wanted[user_id].items():
                found = existing.get((user_id, anime_id))
                if found is None:
                    new.append(
                        Interaction(
                            user_id=user_id,
                            anime_id=anime_id,
                            kind=Interaction.Kind.LIST,
                            score=score,
                            source=Interaction.Source.DATASET,
                            occurred_at=None,
                        )
                    )
                elif found[1] != score:
                    changed.append(Interaction(id=found[0], score=score))
                else:
                    stats.unchanged += 1
        Interaction.objects.bulk_create(new, batch_size=5000)
        Interaction.objects.bulk_update(changed, ["score"], batch_size=1000)
        stats.created += len(new)
        stats.updated += len(changed)

    def _sync_collection(
        self, users: Sequence[int], wanted: dict[int, dict[int, int | None]], stats: TableStats
    ) -> None:
        existing: dict[tuple[int, int], tuple[int, int | None, str]] = {
            (user_id, anime_id): (pk, score, source)
            for pk, user_id, anime_id, score, source in CollectionEntry.objects.filter(
                user_id__in=users
            ).values_list("id", "user_id", "anime_id", "score", "source")
        }
        new: list[CollectionEntry] = []
        changed: list[CollectionEntry] = []
        for user_id in users:
            for anime_id, score in wanted[user_id].items():
                found = existing.get((user_id, anime_id))
                if found is None:
                    new.append(
                        CollectionEntry(
                            user_id=user_id,
                            anime_id=anime_id,
                            score=score,
                            status="",
                            source=EntrySource.DATASET,
                        )
                    )
                elif found[2] == EntrySource.DATASET and found[1] != score:
                    changed.append(CollectionEntry(id=found[0], score=score))
                else:
                    stats.unchanged += 1
        CollectionEntry.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
        CollectionEntry.objects.bulk_update(changed, ["score"], batch_size=1000)
        stats.created += len(new)
        stats.updated += len(changed)


def _fingerprint_of(users: Sequence[int], wanted: dict[int, dict[int, int | None]]) -> tuple[int, int]:
    """Row count and a CRC32 sum of (user, anime, score): equal fingerprints mean equal rows."""
    count = total = 0
    for user_id in users:
        for anime_id, score in wanted[user_id].items():
            count += 1
            total += zlib.crc32(f"{user_id}:{anime_id}:{score or 0}".encode())
    return count, total


def _fingerprint_in_db(
    model: type[Interaction] | type[CollectionEntry], users: Sequence[int], *, dataset_only: bool
) -> tuple[int, int]:
    """The same fingerprint computed by the database, so unchanged users cost one query."""
    if not users:
        return 0, 0
    table = model._meta.db_table
    marks = ", ".join(["%s"] * len(users))
    sql = (
        f"SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS(':', user_id, anime_id, COALESCE(score, 0)))), 0) "
        f"FROM {table} WHERE user_id IN ({marks})"
    )
    params: list[Any] = list(users)
    if dataset_only:
        sql += " AND source = %s AND kind = %s"
        params += [Interaction.Source.DATASET, Interaction.Kind.LIST]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, total = cursor.fetchone()
    return int(count), int(total)


SEARCH_CHECK_TIMEOUT_SECONDS = 5


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
    etl_dir: Path | str | None = None,
    run_etl: bool = True,
    rebuild_etl: bool = False,
    if_empty: bool = False,
    rebuild_search: bool = True,
    progress: bool = True,
    stdout: Writer | None = None,
) -> LoadReport:
    """Run the ETL when its output is missing (or ``rebuild_etl``), then upsert it into the database."""
    out_dir = Path(etl_dir or settings.ETL_OUTPUT_DIR)

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
            data_dir=settings.DATA_DIR, output_dir=out_dir, master=settings.SPARK_MASTER, report=write
        )
        etl_seconds = round(time.perf_counter() - start, 2)
        write(f"ETL: {', '.join(f'{k}={v:,}' for k, v in result.counts.items())} in {etl_seconds:.1f} s")

    start = time.perf_counter()
    loader = CatalogLoader(etl_dir=out_dir, progress=progress, write=write)
    report = loader.run()
    report.etl_seconds = etl_seconds
    report.load_seconds = round(time.perf_counter() - start, 2)
    if rebuild_search:
        catalog_search_refresh(report=report, progress=progress)
    return report
