"""The catalogue ETL: pure cleaning rules, then the Spark job on small files in the real formats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from catalog.etl import transforms as tf

FIXTURES = Path(__file__).parent / "fixtures" / "anime"


# --- pure transforms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Gintama&#039;", "Gintama'"),
        ("Tiger &amp; Bunny", "Tiger & Bunny"),
        ("&quot;Bungaku Shoujo&quot; Movie", '"Bungaku Shoujo" Movie'),
        ("Love &gt; Hate", "Love > Hate"),
        ("Double &amp;#039; escaped", "Double ' escaped"),
        ("No entities", "No entities"),
    ],
)
def test_unescape_html_decodes_entities(raw: str, expected: str) -> None:
    assert tf.unescape_html(raw) == expected


@pytest.mark.parametrize("raw", ["Unknown", "unknown", "  ", "", None])
def test_clean_text_turns_unknown_and_blank_into_none(raw: str | None) -> None:
    assert tf.clean_text(raw) is None


def test_clean_text_collapses_whitespace() -> None:
    assert tf.clean_text("  Kimi no  Na wa. ") == "Kimi no Na wa."


def test_clean_paragraphs_keeps_paragraphs() -> None:
    assert tf.clean_paragraphs("  a &amp; b \r\n\r\n second  line ") == "a & b\nsecond line"
    assert tf.clean_paragraphs("Unknown") is None


@pytest.mark.parametrize(
    ("raw", "expected"), [("26", 26), ("Unknown", None), ("0", None), ("", None), ("abc", None), (None, None)]
)
def test_parse_episodes(raw: str | None, expected: int | None) -> None:
    assert tf.parse_episodes(raw) == expected


def test_parse_numbers() -> None:
    assert tf.parse_float("8.78") == pytest.approx(8.78)
    assert tf.parse_float("Unknown") is None
    assert tf.parse_int("1,251,960") == 1251960
    assert tf.parse_int("n/a") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tv", "TV"),
        ("Movie", "Movie"),
        ("web", "ONA"),
        ("ova", "OVA"),
        ("Unknown", None),
        ("", None),
        ("x", None),
    ],
)
def test_normalize_type(raw: str, expected: str | None) -> None:
    assert tf.normalize_type(raw) == expected


def test_split_genres_drops_unknown_and_duplicates() -> None:
    assert tf.split_genres("Action, Sci-Fi,Action, Unknown") == ["Action", "Sci-Fi"]
    assert tf.split_genres("Unknown") == []
    assert tf.split_genres("") == []


@pytest.mark.parametrize(
    ("month", "season"),
    [
        (1, "winter"),
        (3, "winter"),
        (4, "spring"),
        (6, "spring"),
        (7, "summer"),
        (9, "summer"),
        (10, "fall"),
        (12, "fall"),
    ],
)
def test_season_of_month(month: int, season: str) -> None:
    assert tf.season_of_month(month) == season


def test_season_of_month_rejects_bad_months() -> None:
    with pytest.raises(ValueError):
        tf.season_of_month(13)


def test_parse_air_date_uses_the_japanese_date_of_a_utc_instant() -> None:
    # 2019-12-31 15:30 UTC is 2020-01-01 00:30 in Japan: a winter 2020 premiere.
    date = tf.parse_air_date("2019-12-31T15:30:00.000Z")
    assert date == dt.date(2020, 1, 1)
    assert tf.year_and_season(date) == (2020, "winter")
    assert tf.parse_air_date("2018-07-05") == dt.date(2018, 7, 5)
    assert tf.parse_air_date("0000-00-00") is None
    assert tf.parse_air_date("") is None
    assert tf.year_and_season(None) == (None, None)


def test_valid_score() -> None:
    assert [tf.valid_score(v) for v in (0, 1, 10, 11, None)] == [None, 1, 10, None, None]


def test_pick_cover_prefers_large_then_common() -> None:
    images = {"small": "https://x/s.jpg", "common": "https://x/c.jpg", "large": "https://x/l.jpg"}
    assert tf.pick_cover(images) == "https://x/l.jpg"
    assert tf.pick_cover({**images, "large": ""}) == "https://x/c.jpg"
    assert tf.pick_cover({}) is None
    assert tf.pick_cover(None) is None


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("進撃の巨人", "kana"),
        ("ソードアート・オンライン", "kana"),
        ("进击的巨人", "han"),
        ("銀魂", "han"),
        ("Attack on Titan", "latin"),
        ("Pokémon", "latin"),
        ("진격의 거인", "hangul"),
        ("2001", "other"),
    ],
)
def test_detect_script(text: str, script: str) -> None:
    assert tf.detect_script(text) == script


def test_alias_language() -> None:
    japanese = ["進撃の巨人", "銀魂"]
    assert tf.alias_language("しんげき", japanese) == "ja"
    assert tf.alias_language("銀魂", japanese) == "ja"  # ideographs of the Japanese title family
    assert tf.alias_language("進撃", japanese) == "ja"  # the start of a Japanese title
    assert tf.alias_language("进击的巨人", japanese) == "zh-Hans"
    assert tf.alias_language("進擊的巨人", japanese, ["進擊的巨人"]) == "zh-Hant"
    assert tf.alias_language("Attack on Titan", japanese) == "en"
    assert tf.alias_language("Shingeki no Kyojin", japanese) == "und"
    assert tf.alias_language("진격의 거인", japanese) == "und"


def test_title_key_ignores_case_accents_and_width() -> None:
    assert tf.title_key("Pokémon  GO") == tf.title_key("pokemon go")
    assert tf.title_key("\uff21\uff22\uff23") == tf.title_key("abc")  # full-width ABC
    assert tf.title_key("进击") != tf.title_key("進撃")


def test_truncate_and_slug() -> None:
    assert tf.truncate("abcdef", 4) == "abc…"
    assert tf.truncate("abc", 4) == "abc"
    assert tf.slugify_genre("Slice of Life") == "slice-of-life"
    assert tf.slugify_genre("Sci-Fi") == "sci-fi"


# --- the Spark job on fixture files -----------------------------------------------------------


@pytest.fixture(scope="module")
def etl_output(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    """One Spark session for the module: run the job once on the fixture files."""
    from catalog.etl.job import run_etl, spark_session

    spark = spark_session("local[1]", app_name="animesite-etl-tests", shuffle_partitions=1)
    out = tmp_path_factory.mktemp("etl")
    try:
        result = run_etl(data_dir=FIXTURES, output_dir=out, spark=spark, report=lambda _msg: None)
        yield out, result
    finally:
        spark.stop()


def _rows(out: Path, table: str) -> list[dict[str, Any]]:
    return pq.read_table(out / table).to_pylist()


def _anime(out: Path) -> dict[int, dict[str, Any]]:
    """Anime with a MyAnimeList id, by that id."""
    return {row["mal_id"]: row for row in _rows(out, "anime") if row["mal_id"] is not None}


def _by_key(out: Path) -> dict[str, dict[str, Any]]:
    return {row["anime_key"]: row for row in _rows(out, "anime")}


@pytest.mark.spark
def test_etl_catalogue_is_the_union_of_both_snapshots(etl_output: tuple[Path, Any]) -> None:
    out, result = etl_output
    anime = _anime(out)

    assert sorted(anime) == [1001, 1002, 1003, 1004, 2001, 2002, 2003, 2004]
    assert result.counts["anime"] == 9  # and one anime only bangumi-data knows
    # 2020 values win where present...
    assert anime[1001]["title"] == "Gintama'"
    assert anime[1001]["score"] == pytest.approx(9.0)
    assert anime[1001]["members"] == 200000
    # ...2017 values stay where 2020 lacks the anime, with entities decoded and Unknown as null.
    assert anime[1002]["title"] == "Tiger & Bunny"
    assert anime[1002]["episodes"] is None
    assert anime[1002]["score"] == pytest.approx(7.9)
    assert anime[1004]["title"] == 'Fate/stay night, "UBW"'
    assert anime[1004]["type"] == "Movie"
    # Unknown everywhere in 2020.
    assert anime[2002]["score"] is None
    assert anime[2002]["type"] is None
    assert anime[2002]["episodes"] is None


@pytest.mark.spark
def test_etl_genres_prefer_2020_then_2017_then_the_sample(etl_output: tuple[Path, Any]) -> None:
    out, _ = etl_output
    genres: dict[int, list[str]] = {}
    for row in sorted(_rows(out, "anime_genres"), key=lambda r: (r["anime_key"], r["position"])):
        genres.setdefault(int(row["anime_key"].removeprefix("mal:")), []).append(row["genre"])

    assert genres[1001] == ["Action", "Comedy", "Sci-Fi"]
    assert genres[1002] == ["Action", "Mecha"]
    assert genres[1003] == ["Drama"]  # empty in the snapshot, known to the sample's item table
    assert 2002 not in genres  # "Unknown" is no genre


@pytest.mark.spark
def test_etl_joins_bangumi_data_and_bgmd(etl_output: tuple[Path, Any]) -> None:
    out, _ = etl_output
    aot = _anime(out)[2001]

    # The earliest bangumi-data item is the primary one; its UTC begin is a Japanese date.
    assert aot["aired_from"] == dt.date(2013, 4, 7)
    assert aot["aired_to"] == dt.date(2013, 9, 29)
    assert (aot["year"], aot["season"]) == (2013, "spring")
    assert aot["title_ja"] == "進撃の巨人"
    assert aot["title_zh_hans"] == "进击的巨人"
    assert aot["title_zh_hant"] == "進擊的巨人"
    assert aot["title_en"] == "Attack on Titan"
    assert aot["official_site"] == "https://shingeki.tv/"
    assert aot["cover_url"] == "https://lain.bgm.tv/pic/cover/l/aa/55770.jpg"
    assert aot["synopsis_zh"] == "人类与巨人的战斗 & 自由。\n第二段。"


@pytest.mark.spark
def test_etl_dates_fall_back_to_bgmd_and_synopsis_to_tmdb(etl_output: tuple[Path, Any]) -> None:
    out, _ = etl_output
    anime = _anime(out)

    assert (anime[2003]["year"], anime[2003]["season"]) == (2020, "winter")  # 2019-12-31 15:30 UTC
    assert anime[2003]["cover_url"] == "https://lain.bgm.tv/r/400/pic/cover/l/cc/300.jpg"
    assert anime[2003]["synopsis_zh"] == "冬天的简介"
    assert anime[2004]["aired_from"] == dt.date(2018, 7, 5)  # no begin: bgmd air_date
    assert (anime[2004]["year"], anime[2004]["season"]) == (2018, "summer")
    assert anime[2004]["synopsis_zh"] is None  # "Unknown"
    assert anime[2004]["cover_url"] is None
    assert anime[2004]["title_en"] == "Undated Work"
    assert anime[2004]["title_zh_hans"] == "无日期作品"
    assert anime[1001]["year"] is None and anime[1001]["season"] is None


@pytest.mark.spark
def test_etl_titles_in_every_script(etl_output: tuple[Path, Any]) -> None:
    out, _ = etl_output
    titles = {
        (r["text"], r["language"]): r["kind"]
        for r in _rows(out, "anime_titles")
        if r["anime_key"] == "mal:2001"
    }

    assert titles[("Shingeki no Kyojin", "x-jat")] == "main"
    assert titles[("進撃の巨人", "ja")] == "official"
    assert titles[("進撃の巨人 Season 2", "ja")] == "official"
    assert titles[("进击的巨人", "zh-Hans")] == "official"  # the alias repeats it: kept once, official
    assert titles[("Attack on Titan", "en")] == "official"
    assert titles[("進撃", "ja")] == "alias"  # ideographs of the Japanese title family
    assert titles[("巨人", "zh-Hans")] == "alias"
    assert titles[("進撃の巨人 Season 1", "ja")] == "alias"
    assert titles[("Shingeki no Kyojin", "und")] == "alias"
    assert titles[("SnK", "und")] == "alias"
    texts = [text for text, _ in titles]
    assert len([t for t in texts if t == "进击的巨人"]) == 1

    winter = {(r["text"], r["language"]) for r in _rows(out, "anime_titles") if r["anime_key"] == "mal:2003"}
    assert ("ふゆ", "ja") in winter
    assert not any(r["anime_key"] not in _by_key(out) for r in _rows(out, "anime_titles"))


@pytest.mark.spark
def test_etl_tags_and_external_ids(etl_output: tuple[Path, Any]) -> None:
    out, _ = etl_output
    tags = sorted(r["tag"] for r in _rows(out, "anime_tags") if r["anime_key"] == "mal:2001")
    ids = {(r["site"], r["external_id"]) for r in _rows(out, "external_ids") if r["anime_key"] == "mal:2001"}

    assert tags == sorted(["热血", "TV", "漫画改", "续作"])  # "TV" and "tv" are one tag
    assert ids == {
        ("mal", "2001"),
        ("bangumi", "55770"),
        ("bangumi", "55771"),
        ("aniList", "16498"),  # bangumi-data wins over the ARM map's aniList id
        ("anidb", "9541"),
        ("tmdb", "tv/1429"),
        ("bilibili", "1234"),
        ("annict", "777"),
        ("syobocal", "2844"),
    }
    assert {
        (r["site"], r["external_id"]) for r in _rows(out, "external_ids") if r["anime_key"] == "mal:2002"
    } == {
        ("mal", "2002"),
        ("aniList", "5555"),
    }


@pytest.mark.spark
def test_etl_interactions_map_sample_items_to_mal_ids(etl_output: tuple[Path, Any]) -> None:
    out, result = etl_output
    rows = {(r["dataset_user_id"], r["mal_id"]): r["score"] for r in _rows(out, "interactions")}
    users = sorted(r["dataset_user_id"] for r in _rows(out, "users"))

    assert rows == {
        (1, 1001): 8,
        (1, 1003): None,
        (1, 2001): 10,
        (2, 1001): None,
        (2, 1002): None,  # a 0 rating means "not scored"
        (7, 2001): 9,
    }
    assert users == [1, 2, 7]
    assert result.counts["interactions"] == 6
    assert result.counts["scored_interactions"] == 3
    assert result.checks["interacted_anime_missing"] == 0
    assert result.checks["interacted_anime_without_genres"] == 0


@pytest.mark.spark
def test_etl_writes_a_manifest_last(etl_output: tuple[Path, Any]) -> None:
    from catalog.etl.output import read_manifest

    out, result = etl_output
    manifest = read_manifest(out)

    assert manifest is not None
    assert manifest["counts"]["anime"] == result.counts["anime"] == 9
    assert set(manifest["timings"]) >= {"spark start", "read", "join", "write", "write anime"}
    assert manifest["checks"]["anime_2020_without_mal_id"] == 1
    assert manifest["checks"]["anime_2020_with_mal_id"] == 1
    assert not list(out.glob("_staging-*"))


@pytest.mark.spark
def test_etl_union_keys_an_anime_without_mal_id_by_its_bangumi_id(etl_output: tuple[Path, Any]) -> None:
    out, result = etl_output
    anime = _by_key(out)

    only_bangumi = anime["bgm:500"]
    assert (only_bangumi["mal_id"], only_bangumi["bangumi_id"], only_bangumi["source"]) == (
        None,
        500,
        "bangumi",
    )
    assert (only_bangumi["title"], only_bangumi["type"], only_bangumi["year"]) == (
        "MALにない作品",
        "Movie",
        2020,
    )
    assert only_bangumi["score"] is None and only_bangumi["members"] == 0
    assert anime["mal:1001"]["source"] == "mal"  # only in a MAL snapshot
    assert anime["mal:2001"]["source"] == "both"
    assert anime["mal:2001"]["bangumi_id"] == 55770  # the earliest of its two bangumi-data items
    assert ("bgm:500", "bangumi", "500") in {
        (r["anime_key"], r["site"], r["external_id"]) for r in _rows(out, "external_ids")
    }
    assert not any(r["anime_key"] == "bgm:500" and r["site"] == "mal" for r in _rows(out, "external_ids"))
    assert result.checks["anime_without_mal_id"] == 1
    assert (result.checks["anime_from_bangumi"], result.checks["anime_from_both"]) == (1, 3)


@pytest.mark.spark
def test_etl_weekly_broadcast_display_titles_and_franchises(etl_output: tuple[Path, Any]) -> None:
    out, result = etl_output
    anime = _by_key(out)

    winter = anime["mal:2003"]
    assert winter["broadcast_start"] == dt.datetime(2019, 12, 31, 15, 30)  # UTC
    assert winter["broadcast_period_days"] == 7
    assert anime["mal:2001"]["broadcast_start"] is None
    assert (anime["mal:2001"]["display_en"], anime["mal:2001"]["display_zh"]) == (
        "Attack on Titan",
        "进击的巨人",
    )
    assert (winter["display_en"], winter["display_zh"]) == ("Winter Boundary", "冬の境界")
    franchises = {r["franchise_key"]: r for r in _rows(out, "franchises")}
    assert set(franchises) == {r["franchise_key"] for r in anime.values()}
    assert all(r["franchise_position"] == 0 for r in anime.values())  # no two entries of one work here
    assert result.checks["franchises"] == 9
