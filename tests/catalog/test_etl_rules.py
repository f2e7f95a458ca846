# ruff: noqa: RUF001  (full-width and multiplication signs are part of real titles)
"""Pure rules of the catalogue ETL: the key of the union, franchise grouping, display titles,
seasons and the weekly calendar. Small inputs, no Spark, no database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from catalog.etl import display, franchises, seasons
from catalog.etl import transforms as tf
from catalog.etl.franchises import FranchiseInput, group_franchises, stem
from catalog.etl.job import HAND_CHECKED_FRANCHISES
from catalog.etl.titles import read_curated_english

# --- the key of the union -------------------------------------------------------------------


def test_anime_key_prefers_the_mal_id_then_the_bangumi_id() -> None:
    assert tf.anime_key(52991, 400602) == "mal:52991"  # in both sources
    assert tf.anime_key("52991") == "mal:52991"  # only in a MAL snapshot
    assert tf.anime_key(None, 500123) == "bgm:500123"  # only in bangumi-data, no MAL id
    assert tf.anime_key("", "500123") == "bgm:500123"


def test_anime_key_of_an_item_with_neither_id_is_stable() -> None:
    first = tf.anime_key(None, None, "だんでらいおん", "2026-04-15T16:00:00.000Z")
    again = tf.anime_key(None, None, " だんでらいおん ", "2026-04-15T00:00:00Z")
    assert first is not None and first.startswith("bd:")
    assert first == again
    assert tf.anime_key(None, None, "だんでらいおん", "2025-04-15") != first
    assert tf.anime_key(None, None, None) is None


@pytest.mark.parametrize(("raw", "expected"), [(8.5, 8.5), (0.0, None), (None, None), (11.0, None)])
def test_a_zero_mean_score_means_no_score(raw: float | None, expected: float | None) -> None:
    assert tf.valid_mean_score(raw) == expected


# --- display titles -------------------------------------------------------------------------


def test_main_title_keeps_a_prefix_the_2020_snapshot_dropped() -> None:
    assert display.main_title("Sign", ".hack//Sign") == ".hack//Sign"
    assert display.main_title("Roots", ".hack//Roots") == ".hack//Roots"
    # A different name, not a lost prefix: the 2020 name wins.
    assert display.main_title("Kenpuu Denki Berserk", "Berserk") == "Kenpuu Denki Berserk"
    assert display.main_title(None, "Berserk") == "Berserk"


def test_all_lower_case() -> None:
    assert display.is_all_lower_case("attack on titan")
    assert display.is_all_lower_case("elfen lied")
    assert not display.is_all_lower_case("Attack on Titan")
    assert not display.is_all_lower_case("進撃の巨人")
    assert not display.is_all_lower_case("100")


def test_casually_cased_names() -> None:
    assert display.is_casually_cased("attack on titan Season2")
    assert display.is_casually_cased("elfen lied")
    assert not display.is_casually_cased(".hack//Sign")
    assert not display.is_casually_cased("iDOLM@STER Xenoglossia")
    assert not display.is_casually_cased("Attack on Titan Season 2")
    assert not display.is_casually_cased("進撃の巨人")


def test_a_season_never_shows_a_casually_typed_english_name() -> None:
    season_2 = display.TitleCandidates(
        key="mal:25777",
        main="Shingeki no Kyojin Season 2",
        official_en=["attack on titan Season2"],
        alias_en=["Attack on Titan Season 2"],
    )
    assert display.display_titles([_aot(), season_2])["mal:25777"][0] == "Attack on Titan Season 2"


def _aot() -> display.TitleCandidates:
    return display.TitleCandidates(
        key="mal:16498",
        main="Shingeki no Kyojin",
        aired_from_year=2013,
        official_en=["attack on titan"],
        alias_en=["Attack on Titan", "attack on titan"],
        name_cn=["进击的巨人"],
        official_zh_hans=["进击的巨人", "自由之翼"],
        japanese=["進撃の巨人"],
    )


def test_english_display_never_shows_an_all_lower_case_alias() -> None:
    shown = display.display_titles([_aot()])
    assert shown["mal:16498"] == ("Attack on Titan", "进击的巨人")


def test_english_display_skips_lower_case_only_names_for_the_romaji_title() -> None:
    entry = display.TitleCandidates(key="mal:226", main="Elfen Lied", alias_en=["elfen lied"])
    assert display.display_titles([entry])["mal:226"][0] == "Elfen Lied"


def test_entries_of_one_franchise_never_share_a_display_title() -> None:
    season_1 = display.TitleCandidates(
        key="mal:37779",
        main="Yakusoku no Neverland",
        official_en=["The Promised Neverland", "THE PROMISED NEVERLAND"],
        name_cn=["约定的梦幻岛"],
    )
    season_2 = display.TitleCandidates(
        key="mal:39617",
        main="Yakusoku no Neverland 2nd Season",
        aired_from_year=2021,
        official_en=["THE PROMISED NEVERLAND"],
        alias_en=["THE PROMISED NEVERLAND", "The Promised Neverland Season 2"],
        name_cn=["约定的梦幻岛 第二季"],
    )
    shown = display.display_titles([season_1, season_2])
    assert shown["mal:37779"][0] == "The Promised Neverland"
    assert shown["mal:39617"][0] == "The Promised Neverland Season 2"
    assert shown["mal:39617"][1] == "约定的梦幻岛 第二季"


def test_when_every_name_is_taken_the_year_tells_entries_apart() -> None:
    first = display.TitleCandidates(key="mal:1", main="Same", aired_from_year=2001)
    second = display.TitleCandidates(key="mal:2", main="Same", aired_from_year=2009)
    shown = display.display_titles([first, second])
    assert shown["mal:1"] == ("Same", "Same")
    assert shown["mal:2"] == ("Same (2009)", "Same (2009)")


def test_hack_prefixes_are_kept_in_every_language() -> None:
    sign = display.TitleCandidates(key="mal:48", main=".hack//Sign", name_cn=[".hack//时空"])
    roots = display.TitleCandidates(key="mal:873", main=".hack//Roots", name_cn=[".hack//根源"])
    shown = display.display_titles([sign, roots])
    assert shown["mal:48"] == (".hack//Sign", ".hack//时空")
    assert shown["mal:873"] == (".hack//Roots", ".hack//根源")


def test_curated_english_title_of_mal_14741() -> None:
    curated = read_curated_english()
    assert curated["mal:14741"] == ["Love, Chunibyo & Other Delusions!"]
    entry = display.TitleCandidates(
        key="mal:14741",
        main="Chuunibyou demo Koi ga Shitai!",
        curated_en=curated["mal:14741"],
        official_en=["Chu-2 byo demo KOI ga shitai"],
    )
    assert display.display_titles([entry])["mal:14741"][0] == "Love, Chunibyo & Other Delusions!"


def test_chinese_display_falls_back_to_japanese_then_the_main_title() -> None:
    japanese_only = display.TitleCandidates(key="bgm:1", main="Fuyu no Kyoukai", japanese=["冬の境界"])
    nothing = display.TitleCandidates(key="mal:2", main="Old Short")
    shown = display.display_titles([japanese_only])
    assert shown["bgm:1"] == ("Fuyu no Kyoukai", "冬の境界")
    assert display.display_titles([nothing])["mal:2"] == ("Old Short", "Old Short")


# --- franchises -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Shingeki no Kyojin Season 3 Part 2", "shingeki no kyojin"),
        ("進撃の巨人 The Final Season", "進撃の巨人"),
        ("劇場版 進撃の巨人 前編〜紅蓮の弓矢〜", "進撃の巨人"),
        ("約束のネバーランド(第2期)", "約束のネバーランド"),
        ("葬送のフリーレン 第2期", "葬送のフリーレン"),
        ("【推しの子】 第3期", "推しの子"),
        ("劇場総集編ぼっち・ざ・ろっく！ Re:Re:", "ぼっち ざ ろっく"),
        ("Mob Psycho 100 II", "mob psycho 100"),
        ("Re:Zero kara Hajimeru Isekai Seikatsu", "re zero kara hajimeru isekai seikatsu"),
        ("Code:Breaker", "code breaker"),
        ("Gintama Movie 1: Shinyaku Benizakura-hen", "gintama"),
        ("Gintama Movie 2: Kanketsu-hen - Yorozuya yo Eien Nare", "gintama"),
        ("Boku no Hero Academia the Movie 2: Heroes:Rising", "boku no hero academia"),
        ("Detective Conan Movie 01: The Timed Skyscraper", "detective conan"),
        ("Kara no Kyoukai Movie 1: Fukan Fuukei", "kara no kyoukai"),
        ("K-On! Movie", None),
        ("K", None),
    ],
)
def test_stem(title: str, expected: str | None) -> None:
    assert stem(title) == expected


def test_seasons_sharing_a_tmdb_id_are_one_franchise_in_air_order() -> None:
    entries = [
        FranchiseInput(key="mal:25777", aired_from="2017-04-01", tmdb=("tv", 1429), latin_titles=["AoT S2"]),
        FranchiseInput(key="mal:16498", aired_from="2013-04-06", tmdb=("tv", 1429), latin_titles=["AoT"]),
        FranchiseInput(key="mal:1", aired_from="2013-04-06", tmdb=("movie", 1429), latin_titles=["Other"]),
    ]
    groups = {g.key: g.members for g in group_franchises(entries)}
    assert groups == {"mal:16498": ["mal:16498", "mal:25777"], "mal:1": ["mal:1"]}


def test_title_stems_join_across_scripts_and_sources() -> None:
    entries = [
        FranchiseInput(key="mal:52991", aired_from="2023-09-29", japanese_titles=["葬送のフリーレン"]),
        FranchiseInput(key="bgm:500123", aired_from="2026-01-16", japanese_titles=["葬送のフリーレン 第2期"]),
        FranchiseInput(key="mal:223", aired_from="1986-02-26", latin_titles=["Dragon Ball"]),
        FranchiseInput(key="mal:813", aired_from="1989-04-26", latin_titles=["Dragon Ball Z"]),
        FranchiseInput(key="mal:225", aired_from="1996-02-07", latin_titles=["Dragon Ball GT"]),
        FranchiseInput(key="mal:567", aired_from="1999-10-13", latin_titles=["The Big O"]),
        FranchiseInput(key="mal:31240", latin_titles=["Re:Zero kara Hajimeru Isekai Seikatsu"]),
        FranchiseInput(key="mal:5", latin_titles=["Re:Creators"]),
    ]
    groups = {g.key: g.members for g in group_franchises(entries)}
    assert groups["mal:52991"] == ["mal:52991", "bgm:500123"]
    assert groups["mal:223"] == ["mal:223", "mal:813", "mal:225"]
    assert groups["mal:567"] == ["mal:567"]
    assert groups["mal:31240"] == ["mal:31240"]  # "Re:" alone is no franchise
    assert groups["mal:5"] == ["mal:5"]


def test_a_generic_prefix_joins_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(franchises, "MAX_PREFIX_FAN_OUT", 2)
    entries = [FranchiseInput(key="a", japanese_titles=["魔法少女あいう"])] + [
        FranchiseInput(key=f"x{i}", japanese_titles=[f"魔法少女あいう{name}"])
        for i, name in enumerate("かきく")
    ]
    assert all(len(g.members) == 1 for g in group_franchises(entries))


def test_relation_in_air_order() -> None:
    dated = [True, True, True, False]
    assert franchises.relation(1, 0, dated) == "prequel"
    assert franchises.relation(1, 2, dated) == "sequel"
    assert franchises.relation(2, 0, dated) == "earlier"
    assert franchises.relation(0, 2, dated) == "later"
    assert franchises.relation(0, 3, dated) == "other"


def test_the_sequel_of_a_season_is_the_next_season_not_an_ova_in_between() -> None:
    # Air order: TV season 1, OVA, film, TV season 2.
    dated, series = [True, True, True, True], [True, False, False, True]
    assert franchises.relation(0, 3, dated, series) == "sequel"
    assert franchises.relation(0, 1, dated, series) == "later"
    assert franchises.relation(3, 0, dated, series) == "prequel"
    assert franchises.relation(2, 1, dated, series) == "prequel"  # a film's neighbours are any entry
    assert franchises.relation(2, 3, dated, series) == "sequel"


def test_pairwise_scores() -> None:
    truth = [["a", "b", "c"], ["d", "e"]]
    predicted = {"a": "a", "b": "a", "c": "c", "d": "d", "e": "d", "x": "d"}
    scores = franchises.pairwise_scores(truth, predicted)
    # predicted pairs touching the truth: a-b (right), d-e (right), d-x, e-x (wrong)
    assert (scores["predicted_pairs"], scores["correct_pairs"]) == (4, 2)
    # true pairs: a-b, a-c, b-c, d-e; found a-b, d-e
    assert (scores["true_pairs"], scores["found_pairs"]) == (4, 2)
    assert scores["precision"] == 0.5
    assert scores["recall"] == 0.5


def test_hand_checked_list_has_at_least_30_real_franchises() -> None:
    payload = json.loads(Path(HAND_CHECKED_FRANCHISES).read_text(encoding="utf-8"))
    lists = payload["franchises"]
    assert len(lists) >= 30
    keys = [m["key"] for f in lists for m in f["members"]]
    assert len(keys) == len(set(keys))  # no entry in two franchises
    assert all(k.startswith(("mal:", "bgm:")) for k in keys)
    names = {f["name"] for f in lists}
    assert {"Attack on Titan", "The Promised Neverland", "SPY×FAMILY", "Frieren"} <= names


# --- seasons and the weekly calendar ---------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 11, 30), seasons.Season(2026, "fall")),
        (dt.date(2026, 1, 1), seasons.Season(2026, "winter")),
        (dt.date(2026, 3, 31), seasons.Season(2026, "winter")),
        (dt.date(2026, 4, 1), seasons.Season(2026, "spring")),
        (dt.date(2026, 9, 30), seasons.Season(2026, "summer")),
    ],
)
def test_current_season_from_today(today: dt.date, expected: seasons.Season) -> None:
    assert seasons.current_season(today) == expected


def test_current_season_of_an_instant_uses_the_japanese_date() -> None:
    # 2026-09-30 16:00 UTC is already October 1st in Japan.
    assert seasons.current_season(dt.datetime(2026, 9, 30, 16, 0, tzinfo=dt.UTC)).name == "fall"
    with pytest.raises(ValueError, match="aware"):
        seasons.current_season(dt.datetime(2026, 9, 30, 16, 0))


def test_season_bounds_and_neighbours() -> None:
    fall = seasons.Season(2026, "fall")
    assert (fall.start, fall.end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert fall.next() == seasons.Season(2027, "winter")
    assert seasons.Season(2026, "winter").previous() == seasons.Season(2025, "fall")
    with pytest.raises(ValueError, match="unknown season"):
        seasons.Season(2026, "autumn")


@pytest.mark.parametrize(
    ("raw", "start", "period"),
    [
        ("R/2023-09-29T10:00:00.000Z/P7D", dt.datetime(2023, 9, 29, 10, 0, tzinfo=dt.UTC), 7),
        ("R/2026-04-08T06:30:00.000Z/P7D", dt.datetime(2026, 4, 8, 6, 30, tzinfo=dt.UTC), 7),
        ("R/2020-01-01T00:00:00.000Z/P0D", dt.datetime(2020, 1, 1, 0, 0, tzinfo=dt.UTC), 0),
        ("R/2020-01-01T00:00:00.000Z/P1M", dt.datetime(2020, 1, 1, 0, 0, tzinfo=dt.UTC), None),
    ],
)
def test_parse_broadcast(raw: str, start: dt.datetime, period: int | None) -> None:
    parsed = seasons.parse_broadcast(raw)
    assert parsed is not None
    assert (parsed.first_air, parsed.period_days) == (start, period)
    assert parsed.is_weekly == (period == 7)


@pytest.mark.parametrize("raw", ["", None, "2023-09-29", "R/garbage/P7D", "R/2023-09-29T10:00:00/P7D"])
def test_parse_broadcast_rejects_bad_values(raw: str | None) -> None:
    assert seasons.parse_broadcast(raw) is None


def test_weekly_slot_in_japan_and_in_the_viewers_zone() -> None:
    # Frieren: Friday 23:00 JST = Friday 14:00 UTC.
    first_air = dt.datetime(2023, 9, 29, 14, 0, tzinfo=dt.UTC)
    week = dt.date(2026, 11, 30)
    tokyo = seasons.weekly_slot(first_air, ZoneInfo("Asia/Tokyo"), week_of=week)
    assert (tokyo.weekday_name, tokyo.time, tokyo.crosses_midnight) == ("friday", dt.time(23, 0), False)
    assert tokyo.starts_at.date() == dt.date(2026, 12, 4)
    new_york = seasons.weekly_slot(first_air, ZoneInfo("America/New_York"), week_of=week)
    assert (new_york.weekday_name, new_york.time) == ("friday", dt.time(9, 0))  # EST, UTC-5


def test_a_late_night_broadcast_crosses_midnight_for_a_viewer_west_of_japan() -> None:
    # Saturday 00:30 JST (a "Friday 24:30" late-night slot) is still Friday in Berlin and London.
    first_air = dt.datetime(2026, 4, 3, 15, 30, tzinfo=dt.UTC)
    week = dt.date(2026, 4, 6)
    tokyo = seasons.weekly_slot(first_air, ZoneInfo("Asia/Tokyo"), week_of=week)
    berlin = seasons.weekly_slot(first_air, ZoneInfo("Europe/Berlin"), week_of=week)
    assert (tokyo.weekday_name, tokyo.time) == ("saturday", dt.time(0, 30))
    assert (berlin.weekday_name, berlin.time) == ("friday", dt.time(17, 30))  # CEST
    assert berlin.crosses_midnight and (berlin.jst_weekday, berlin.jst_time) == (5, dt.time(0, 30))


def test_the_viewers_daylight_saving_time_moves_the_local_time_not_the_slot() -> None:
    first_air = dt.datetime(2026, 4, 3, 15, 30, tzinfo=dt.UTC)  # Saturday 00:30 JST
    summer = seasons.weekly_slot(first_air, ZoneInfo("Europe/London"), week_of=dt.date(2026, 7, 1))
    winter = seasons.weekly_slot(first_air, ZoneInfo("Europe/London"), week_of=dt.date(2026, 12, 1))
    assert (summer.weekday_name, summer.time) == ("friday", dt.time(16, 30))
    assert (winter.weekday_name, winter.time) == ("friday", dt.time(15, 30))


def test_a_broadcast_crossing_midnight_eastwards() -> None:
    # Sunday 23:00 JST is Monday 03:00 in Auckland (NZDT, UTC+13).
    first_air = dt.datetime(2026, 1, 4, 14, 0, tzinfo=dt.UTC)
    slot = seasons.weekly_slot(first_air, ZoneInfo("Pacific/Auckland"), week_of=dt.date(2026, 1, 14))
    assert (slot.weekday_name, slot.time, slot.jst_weekday) == ("monday", dt.time(3, 0), 6)


def test_time_zone_names_are_checked() -> None:
    assert seasons.time_zone("Asia/Shanghai") == ZoneInfo("Asia/Shanghai")
    for bad in ("Mars/Olympus", "", None):
        with pytest.raises(ValueError):
            seasons.time_zone(bad)


def test_airs_during_a_season() -> None:
    fall = seasons.Season(2026, "fall")
    assert seasons.airs_during(season=fall, aired_from=dt.date(2026, 10, 3), aired_to=None)
    assert seasons.airs_during(season=fall, aired_from=dt.date(2026, 4, 3), aired_to=None)  # still airing
    assert not seasons.airs_during(season=fall, aired_from=dt.date(2026, 4, 3), aired_to=dt.date(2026, 6, 26))
    assert not seasons.airs_during(season=fall, aired_from=dt.date(2027, 1, 3), aired_to=None)
    assert not seasons.airs_during(season=fall, aired_from=None, aired_to=None)
