"""The catalogue loader: ETL parquet -> database, idempotent, operator fields untouched."""

from __future__ import annotations

import datetime as dt
import json
import logging
from io import StringIO
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from accounts.models import User
from activity.models import Interaction
from catalog import loading
from catalog.loading import EtlOutputMissing, catalog_is_loaded, catalog_load
from catalog.models import Anime, AnimeTitle, ExternalId, Franchise, Genre, Tag
from favorites.models import CollectionEntry

pytestmark = pytest.mark.django_db

# The ETL's output tables, as the Spark job writes them.
SCHEMAS = {
    "anime": pa.schema(
        [
            ("anime_key", pa.string()),
            ("mal_id", pa.int32()),
            ("bangumi_id", pa.int64()),
            ("source", pa.string()),
            ("title", pa.string()),
            ("title_en", pa.string()),
            ("title_ja", pa.string()),
            ("title_zh_hans", pa.string()),
            ("title_zh_hant", pa.string()),
            ("display_en", pa.string()),
            ("display_zh", pa.string()),
            ("type", pa.string()),
            ("episodes", pa.int32()),
            ("aired_from", pa.date32()),
            ("aired_to", pa.date32()),
            ("year", pa.int32()),
            ("season", pa.string()),
            ("score", pa.float64()),
            ("members", pa.int32()),
            ("synopsis_zh", pa.string()),
            ("cover_url", pa.string()),
            ("official_site", pa.string()),
            ("broadcast_start", pa.timestamp("us")),
            ("broadcast_period_days", pa.int32()),
            ("franchise_key", pa.string()),
            ("franchise_position", pa.int32()),
        ]
    ),
    "franchises": pa.schema(
        [
            ("franchise_key", pa.string()),
            ("name_en", pa.string()),
            ("name_zh", pa.string()),
            ("size", pa.int32()),
        ]
    ),
    "anime_titles": pa.schema(
        [
            ("anime_key", pa.string()),
            ("text", pa.string()),
            ("language", pa.string()),
            ("kind", pa.string()),
            ("priority", pa.int32()),
        ]
    ),
    "anime_genres": pa.schema([("anime_key", pa.string()), ("position", pa.int32()), ("genre", pa.string())]),
    "anime_tags": pa.schema([("anime_key", pa.string()), ("tag", pa.string()), ("position", pa.int32())]),
    "external_ids": pa.schema(
        [("anime_key", pa.string()), ("site", pa.string()), ("external_id", pa.string())]
    ),
    "users": pa.schema([("dataset_user_id", pa.int32())]),
    "interactions": pa.schema(
        [("dataset_user_id", pa.int32()), ("mal_id", pa.int32()), ("score", pa.int32())]
    ),
}


def _anime_row(mal_id: int | None, title: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in SCHEMAS["anime"].names}
    key = f"mal:{mal_id}" if mal_id is not None else f"bgm:{values['bangumi_id']}"
    row.update(
        anime_key=key,
        mal_id=mal_id,
        title=title,
        members=100,
        source="mal",
        display_en=title,
        display_zh=title,
        franchise_key=key,
        franchise_position=0,
    )
    row.update(values)
    return row


def _tables() -> dict[str, list[dict[str, Any]]]:
    return {
        "anime": [
            _anime_row(
                2001,
                "Shingeki no Kyojin",
                title_en="Attack on Titan",
                title_ja="進撃の巨人",
                title_zh_hans="进击的巨人",
                title_zh_hant="進擊的巨人",
                type="TV",
                episodes=25,
                aired_from=dt.date(2013, 4, 7),
                aired_to=dt.date(2013, 9, 29),
                year=2013,
                season="spring",
                score=8.5,
                members=3000000,
                synopsis_zh="人类与巨人的战斗。\n第二段。",
                cover_url="https://lain.bgm.tv/pic/cover/l/aa/55770.jpg",
                official_site="https://shingeki.tv/",
            ),
            _anime_row(1002, "Tiger & Bunny", type="TV", score=7.9, members=1000),
            _anime_row(2002, "New Show", members=10),
        ],
        "anime_titles": [
            {
                "anime_key": "mal:2001",
                "text": "Shingeki no Kyojin",
                "language": "x-jat",
                "kind": "main",
                "priority": 0,
            },
            {
                "anime_key": "mal:2001",
                "text": "進撃の巨人",
                "language": "ja",
                "kind": "official",
                "priority": 10,
            },
            {
                "anime_key": "mal:2001",
                "text": "进击的巨人",
                "language": "zh-Hans",
                "kind": "official",
                "priority": 20,
            },
            {"anime_key": "mal:2001", "text": "SnK", "language": "und", "kind": "alias", "priority": 60},
            {
                "anime_key": "mal:1002",
                "text": "Tiger & Bunny",
                "language": "x-jat",
                "kind": "main",
                "priority": 0,
            },
            {"anime_key": "mal:2002", "text": "New Show", "language": "x-jat", "kind": "main", "priority": 0},
        ],
        "anime_genres": [
            {"anime_key": "mal:2001", "position": 0, "genre": "Action"},
            {"anime_key": "mal:2001", "position": 1, "genre": "Drama"},
            {"anime_key": "mal:1002", "position": 0, "genre": "Action"},
            {"anime_key": "mal:1002", "position": 1, "genre": "Sci-Fi"},
        ],
        "anime_tags": [
            {"anime_key": "mal:2001", "tag": "热血", "position": 0},
            {"anime_key": "mal:2001", "tag": "TV", "position": 1},
            {"anime_key": "mal:1002", "tag": "TV", "position": 0},
        ],
        "external_ids": [
            {"anime_key": "mal:2001", "site": "mal", "external_id": "2001"},
            {"anime_key": "mal:2001", "site": "bangumi", "external_id": "55770"},
            {"anime_key": "mal:2001", "site": "tmdb", "external_id": "tv/1429"},
            {"anime_key": "mal:1002", "site": "mal", "external_id": "1002"},
        ],
        "franchises": [
            {"franchise_key": key, "name_en": name, "name_zh": name, "size": 1}
            for key, name in (
                ("mal:2001", "Shingeki no Kyojin"),
                ("mal:1002", "Tiger & Bunny"),
                ("mal:2002", "New Show"),
            )
        ],
        "users": [{"dataset_user_id": 1}, {"dataset_user_id": 2}],
        "interactions": [
            {"dataset_user_id": 1, "mal_id": 2001, "score": 10},
            {"dataset_user_id": 1, "mal_id": 1002, "score": None},
            {"dataset_user_id": 2, "mal_id": 2001, "score": 7},
        ],
    }


def write_etl_output(folder: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    for name, rows in tables.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMAS[name]), folder / name / "part-0.parquet")
    counts = {name: len(rows) for name, rows in tables.items()}
    (folder / "manifest.json").write_text(json.dumps({"counts": counts, "timings": {}}))
    return folder


@pytest.fixture
def etl_dir(tmp_path: Path) -> Path:
    return write_etl_output(tmp_path / "etl", _tables())


def _load(etl_dir: Path | str, **kwargs: Any) -> loading.LoadReport:
    return catalog_load(etl_dir=etl_dir, run_etl=False, rebuild_search=False, progress=False, **kwargs)


def _row_counts() -> dict[str, int]:
    return {
        "anime": Anime.objects.count(),
        "titles": AnimeTitle.objects.count(),
        "genres": Genre.objects.count(),
        "tags": Tag.objects.count(),
        "anime_genres": Anime.genres.through.objects.count(),
        "anime_tags": Anime.tags.through.objects.count(),
        "external_ids": ExternalId.objects.count(),
        "users": User.objects.count(),
        "interactions": Interaction.objects.count(),
        "entries": CollectionEntry.objects.count(),
    }


def test_load_writes_every_table(etl_dir: Path) -> None:
    report = _load(etl_dir)

    aot = Anime.objects.get(mal_id=2001)
    assert (aot.title, aot.title_ja, aot.title_zh_hans, aot.title_en) == (
        "Shingeki no Kyojin",
        "進撃の巨人",
        "进击的巨人",
        "Attack on Titan",
    )
    assert (aot.year, aot.season, aot.aired_from) == (2013, "spring", dt.date(2013, 4, 7))
    assert aot.score == pytest.approx(8.5)
    assert aot.synopsis_zh == "人类与巨人的战斗。\n第二段。"
    assert sorted(aot.genres.values_list("name", flat=True)) == ["Action", "Drama"]
    assert sorted(aot.tags.values_list("name", flat=True)) == ["TV", "热血"]
    assert set(aot.titles.values_list("text", "language", "kind")) == {
        ("Shingeki no Kyojin", "x-jat", "main"),
        ("進撃の巨人", "ja", "official"),
        ("进击的巨人", "zh-Hans", "official"),
        ("SnK", "und", "alias"),
    }
    assert set(aot.external_ids.values_list("site", "external_id")) == {
        ("mal", "2001"),
        ("bangumi", "55770"),
        ("tmdb", "tv/1429"),
    }
    unknown = Anime.objects.get(mal_id=2002)
    assert (unknown.type, unknown.score, unknown.title_ja, unknown.cover_url) == ("Unknown", None, "", "")
    assert Genre.objects.get(name="Sci-Fi").slug == "sci-fi"

    assert report.tables["anime"].created == 3
    assert report.tables["interactions"].created == 3
    assert report.tables["collection entries"].created == 3
    assert report.changed


def test_load_reads_the_etl_output_from_a_file_uri(etl_dir: Path) -> None:
    report = _load(etl_dir.as_uri())

    assert Anime.objects.get(mal_id=2001).title == "Shingeki no Kyojin"
    assert report.tables["anime"].created == Anime.objects.count() > 0


def test_load_creates_dataset_users_that_cannot_log_in(etl_dir: Path) -> None:
    _load(etl_dir)

    users = list(User.objects.filter(source=User.Source.DATASET).order_by("dataset_user_id"))
    assert [(u.username, u.dataset_user_id) for u in users] == [("mal_1", 1), ("mal_2", 2)]
    assert not any(u.has_usable_password() for u in users)
    assert users[0].password == users[1].password  # hashed once


def test_load_puts_list_entries_in_the_behaviour_log_and_the_collection(etl_dir: Path) -> None:
    _load(etl_dir)
    user = User.objects.get(dataset_user_id=1)

    log = {
        (i.anime.mal_id, i.score, i.kind, i.source, i.occurred_at)
        for i in Interaction.objects.filter(user=user).select_related("anime")
    }
    entries = {
        (e.anime.mal_id, e.score, e.status, e.source, e.is_favorite)
        for e in CollectionEntry.objects.filter(user=user).select_related("anime")
    }
    assert log == {(2001, 10, "list", "dataset", None), (1002, None, "list", "dataset", None)}
    assert entries == {(2001, 10, "", "dataset", False), (1002, None, "", "dataset", False)}
    assert Interaction.objects.filter(source="dataset", score__isnull=False).count() == 2


def test_second_load_changes_nothing(etl_dir: Path) -> None:
    _load(etl_dir)
    before = _row_counts()

    report = _load(etl_dir)

    assert _row_counts() == before
    assert not report.changed
    for name, stats in report.tables.items():
        assert (stats.created, stats.updated) == (0, 0), name
        assert stats.unchanged > 0, name
    assert report.tables["interactions"].unchanged == 3
    assert report.tables["titles"].unchanged == 6


def test_reload_keeps_operator_flags_and_applies_data_changes(etl_dir: Path) -> None:
    _load(etl_dir)
    Anime.objects.filter(mal_id=2001).update(is_featured=True, is_hidden=True)
    tables = _tables()
    tables["anime"][0]["score"] = 8.9
    tables["anime"][0]["members"] = 3100000
    tables["interactions"][0]["score"] = 9
    tables["anime_titles"][3]["kind"] = "synonym"
    write_etl_output(etl_dir, tables)

    report = _load(etl_dir)

    aot = Anime.objects.get(mal_id=2001)
    assert (aot.is_featured, aot.is_hidden) == (True, True)
    assert aot.score == pytest.approx(8.9)
    assert aot.members == 3100000
    assert (report.tables["anime"].updated, report.tables["anime"].unchanged) == (1, 2)
    assert AnimeTitle.objects.get(anime=aot, text="SnK").kind == "synonym"
    assert report.tables["titles"].updated == 1
    user = User.objects.get(dataset_user_id=1)
    assert Interaction.objects.get(user=user, anime=aot).score == 9
    assert CollectionEntry.objects.get(user=user, anime=aot).score == 9
    assert report.tables["interactions"].updated == 1
    assert report.tables["collection entries"].updated == 1


def test_titles_equal_to_the_database_collation_are_not_duplicated(etl_dir: Path) -> None:
    tables = _tables()
    tables["anime_titles"].append(
        {"anime_key": "mal:2001", "text": "SNK", "language": "und", "kind": "alias", "priority": 61}
    )
    write_etl_output(etl_dir, tables)

    _load(etl_dir)
    second = _load(etl_dir)

    assert AnimeTitle.objects.filter(anime__mal_id=2001, language="und").count() == 1
    assert (second.tables["titles"].created, second.tables["titles"].updated) == (0, 0)


def test_if_empty_skips_a_loaded_catalogue(etl_dir: Path) -> None:
    assert not catalog_is_loaded(etl_dir=etl_dir)
    _load(etl_dir)
    assert catalog_is_loaded(etl_dir=etl_dir)

    report = _load(etl_dir, if_empty=True)

    assert report.skipped
    assert report.tables == {}


def test_if_empty_loads_when_a_previous_load_stopped_half_way(etl_dir: Path) -> None:
    _load(etl_dir)
    Interaction.objects.filter(user__dataset_user_id=2).delete()

    assert not catalog_is_loaded(etl_dir=etl_dir)
    report = _load(etl_dir, if_empty=True)

    assert report.tables["interactions"].created == 1
    assert Interaction.objects.filter(source="dataset").count() == 3


def test_missing_etl_output_without_running_the_etl_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EtlOutputMissing):
        _load(tmp_path / "nothing-here")


def test_search_outage_never_fails_the_load(
    etl_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*, progress: bool = True) -> int:
        raise ConnectionError("search is down")

    monkeypatch.setattr("catalog.search.indexing.rebuild_index", broken)

    with caplog.at_level(logging.WARNING, logger="catalog.loading"):
        report = catalog_load(etl_dir=etl_dir, run_etl=False, progress=False)

    assert Anime.objects.count() == 3
    assert report.search_error == "search is down"
    assert "search index not rebuilt: search is down" in caplog.text


def test_search_is_rebuilt_only_after_changes_or_when_empty(
    etl_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []

    def rebuild(*, progress: bool = True) -> int:
        calls.append(progress)
        return Anime.objects.count()

    monkeypatch.setattr("catalog.search.indexing.rebuild_index", rebuild)
    monkeypatch.setattr(loading, "_search_index_is_empty", lambda: False)

    first = catalog_load(etl_dir=etl_dir, run_etl=False, progress=False)
    catalog_load(etl_dir=etl_dir, run_etl=False, progress=False)
    monkeypatch.setattr(loading, "_search_index_is_empty", lambda: True)
    catalog_load(etl_dir=etl_dir, run_etl=False, progress=False)

    assert first.search_documents == 3
    assert len(calls) == 2


def test_load_catalog_command_prints_counts(etl_dir: Path) -> None:
    out = StringIO()

    call_command(
        "load_catalog", "--skip-etl", "--no-search", "--no-progress", "--etl-dir", str(etl_dir), stdout=out
    )
    call_command(
        "load_catalog", "--skip-etl", "--no-search", "--no-progress", "--etl-dir", str(etl_dir), stdout=out
    )

    text = out.getvalue()
    assert "changes written" in text
    assert "nothing changed" in text
    assert "load time:" in text
    assert Anime.objects.count() == 3


def test_unanswered_search_check_leaves_the_index_alone(
    etl_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []

    def unanswered() -> bool:
        raise TimeoutError("search did not answer")

    def rebuild(*, progress: bool = True) -> int:
        calls.append(progress)
        return 0

    _load(etl_dir)
    monkeypatch.setattr(loading, "_search_index_is_empty", unanswered)
    monkeypatch.setattr("catalog.search.indexing.rebuild_index", rebuild)

    report = catalog_load(etl_dir=etl_dir, run_etl=False, progress=False)

    assert not report.changed
    assert calls == []
    assert report.search_error == "search did not answer"


# --- the catalogue key: MyAnimeList id, else bangumi id ---------------------------------------


def _union_tables() -> dict[str, list[dict[str, Any]]]:
    """The three cases of the union: only in bangumi-data (no MyAnimeList id), only in a MAL
    snapshot, in both; two of them one franchise."""
    tables = _tables()
    tables["anime"].append(
        _anime_row(
            None,
            "葬送のフリーレン 第2期",
            bangumi_id=500123,
            source="bangumi",
            title_zh_hans="葬送的芙莉莲 第二季",
            display_en="Frieren: Beyond Journey's End Season 2",
            display_zh="葬送的芙莉莲 第二季",
            type="TV",
            aired_from=dt.date(2026, 1, 16),
            year=2026,
            season="winter",
            broadcast_start=dt.datetime(2026, 1, 16, 14, 0),
            broadcast_period_days=7,
            franchise_key="mal:2001",
            franchise_position=1,
        )
    )
    tables["anime"][0]["source"] = "both"
    tables["anime_titles"].append(
        {
            "anime_key": "bgm:500123",
            "text": "葬送的芙莉莲 第二季",
            "language": "zh-Hans",
            "kind": "official",
            "priority": 20,
        }
    )
    tables["external_ids"].append({"anime_key": "bgm:500123", "site": "bangumi", "external_id": "500123"})
    return tables


def test_anime_without_a_mal_id_is_keyed_by_its_bangumi_id(etl_dir: Path) -> None:
    write_etl_output(etl_dir, _union_tables())

    report = _load(etl_dir)

    new = Anime.objects.get(catalog_key="bgm:500123")
    assert (new.mal_id, new.bangumi_id, new.source) == (None, 500123, "bangumi")
    assert new.display_title_zh == "葬送的芙莉莲 第二季"
    assert new.broadcast_start == dt.datetime(2026, 1, 16, 14, 0, tzinfo=dt.UTC)
    assert new.broadcast_period_days == 7
    assert set(new.titles.values_list("text", flat=True)) == {"葬送的芙莉莲 第二季"}
    assert Anime.objects.get(mal_id=2001).catalog_key == "mal:2001"
    assert Anime.objects.get(mal_id=1002).source == "mal"
    assert Anime.objects.get(mal_id=2001).source == "both"
    assert report.tables["anime"].created == 4


def test_reload_with_the_new_key_changes_nothing(etl_dir: Path) -> None:
    write_etl_output(etl_dir, _union_tables())
    _load(etl_dir)
    before = _row_counts()

    report = _load(etl_dir)

    assert _row_counts() == before
    assert not report.changed


def test_an_entry_that_gains_a_mal_id_keeps_its_row(etl_dir: Path) -> None:
    write_etl_output(etl_dir, _union_tables())
    _load(etl_dir)
    row_id = Anime.objects.get(catalog_key="bgm:500123").id
    tables = _union_tables()
    tables["anime"][-1].update(anime_key="mal:59978", mal_id=59978, source="both")
    for name in ("anime_titles", "external_ids"):
        for row in tables[name]:
            if row["anime_key"] == "bgm:500123":
                row["anime_key"] = "mal:59978"
    write_etl_output(etl_dir, tables)

    report = _load(etl_dir)

    moved = Anime.objects.get(id=row_id)
    assert (moved.catalog_key, moved.mal_id, moved.bangumi_id) == ("mal:59978", 59978, 500123)
    assert Anime.objects.count() == 4
    assert report.tables["anime"].updated == 1


def test_load_groups_franchises_in_air_order(etl_dir: Path) -> None:
    write_etl_output(etl_dir, _union_tables())

    _load(etl_dir)

    aot = Anime.objects.get(mal_id=2001)
    sequel = Anime.objects.get(catalog_key="bgm:500123")
    assert aot.franchise is not None and aot.franchise == sequel.franchise
    assert aot.franchise.key == "mal:2001"
    assert (aot.franchise_position, sequel.franchise_position) == (0, 1)
    assert Anime.objects.get(mal_id=1002).franchise.key == "mal:1002"


def test_reload_keeps_a_franchise_an_operator_edited(etl_dir: Path) -> None:
    write_etl_output(etl_dir, _union_tables())
    _load(etl_dir)
    own = Franchise.objects.create(key="op:split-1", name_en="Split off", is_curated=True)
    Anime.objects.filter(catalog_key="bgm:500123").update(franchise=own, franchise_position=0)

    report = _load(etl_dir)

    assert Anime.objects.get(catalog_key="bgm:500123").franchise == own
    assert report.tables["anime franchises"].updated == 0


def test_explicit_adult_titles_arrive_hidden_and_an_operator_may_show_them(etl_dir: Path) -> None:
    # given: a new anime of the "Hentai" genre next to the others
    tables = _tables()
    tables["anime"].append(_anime_row(3003, "Some Adult OVA", type="OVA", members=50_000))
    tables["anime_genres"].append({"anime_key": "mal:3003", "position": 0, "genre": "Hentai"})
    tables["franchises"].append(
        {"franchise_key": "mal:3003", "name_en": "Some Adult OVA", "name_zh": "", "size": 1}
    )
    write_etl_output(etl_dir, tables)

    # when
    _load(etl_dir)

    # then: hidden from visitors, the rest visible
    assert Anime.objects.get(mal_id=3003).is_hidden is True
    assert set(Anime.objects.visible().values_list("mal_id", flat=True)) == {2001, 1002, 2002}

    # an operator shows it; a reload with changed data keeps the operator's choice
    Anime.objects.filter(mal_id=3003).update(is_hidden=False)
    tables["anime"][-1]["members"] = 60_000
    write_etl_output(etl_dir, tables)
    _load(etl_dir)
    assert Anime.objects.get(mal_id=3003).is_hidden is False


def test_the_migration_hides_adult_titles_already_loaded(etl_dir: Path) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("catalog.migrations.0003_hide_adult_titles")
    _load(etl_dir)
    aot = Anime.objects.get(mal_id=2001)
    aot.genres.add(Genre.objects.create(name="Hentai", slug="hentai"))

    migration.hide_adult_titles(apps, None)

    assert Anime.objects.get(mal_id=2001).is_hidden is True
    assert Anime.objects.get(mal_id=1002).is_hidden is False
