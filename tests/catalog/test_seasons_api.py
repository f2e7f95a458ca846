"""Season pages, the weekly airing calendar, related entries of a franchise, the synopsis
language, and franchise merge/split by operators."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.models import Anime, Franchise
from catalog.services import franchise_merge, franchise_split
from tests.factories import AnimeFactory

pytestmark = pytest.mark.django_db

# Sunday 29 November 2026, 12:00 UTC: fall 2026 in Japan.
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def fall_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)


def _fall(**values: object) -> Anime:
    defaults: dict[str, object] = {"year": 2026, "season": "fall", "aired_from": dt.date(2026, 10, 3)}
    defaults.update(values)
    return AnimeFactory(**defaults)


# --- seasons --------------------------------------------------------------------------------


def test_current_season_comes_from_todays_date(api_client, fall_2026) -> None:
    body = api_client.get("/api/seasons/current/").json()

    assert (body["year"], body["season"], body["is_current"]) == (2026, "fall", True)
    assert body["previous"] == {"year": 2026, "season": "summer"}
    assert body["next"] == {"year": 2027, "season": "winter"}


def test_season_page_sorts_by_popularity_score_and_start_date(api_client, fall_2026) -> None:
    popular = _fall(members=900, score=7.0, aired_from=dt.date(2026, 10, 9))
    best = _fall(members=100, score=8.8, aired_from=dt.date(2026, 10, 5))
    unscored = _fall(members=500, score=None, aired_from=dt.date(2026, 10, 1))
    AnimeFactory(year=2026, season="summer", members=10_000)

    def ids(sort: str) -> list[int]:
        return [a["id"] for a in api_client.get(f"/api/seasons/2026/fall/?sort={sort}").json()["results"]]

    assert ids("popularity") == [popular.id, unscored.id, best.id]
    assert ids("score") == [best.id, popular.id, unscored.id]  # no score: last, never as 0
    assert ids("start_date") == [unscored.id, best.id, popular.id]
    body = api_client.get("/api/seasons/2026/fall/").json()
    assert body["count"] == 3
    assert body["season"]["new_count"] == 3
    assert [a["score"] for a in body["results"]].count(None) == 1


def test_season_page_filters_by_type_and_lists_what_airs(api_client, fall_2026) -> None:
    tv = _fall(type="TV")
    _fall(type="Movie")
    continuing = AnimeFactory(year=2026, season="spring", aired_from=dt.date(2026, 4, 4), aired_to=None)
    AnimeFactory(year=2026, season="spring", aired_from=dt.date(2026, 4, 4), aired_to=dt.date(2026, 6, 20))

    only_tv = api_client.get("/api/seasons/2026/fall/?type=tv").json()
    airing = api_client.get("/api/seasons/2026/fall/?scope=airing&type=TV").json()

    assert [a["id"] for a in only_tv["results"]] == [tv.id]
    assert only_tv["season"]["types"] == {"Movie": 1, "TV": 1}
    assert {a["id"] for a in airing["results"]} == {tv.id, continuing.id}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/seasons/2026/autumn/", "season"),
        ("/api/seasons/1800/fall/", "year"),
        ("/api/seasons/2026/fall/?sort=rating", "sort"),
        ("/api/seasons/2026/fall/?type=cartoon", "type"),
        ("/api/seasons/2026/fall/?scope=all", "scope"),
    ],
)
def test_bad_season_parameters_are_a_400_naming_the_field(api_client, url: str, field: str) -> None:
    response = api_client.get(url)

    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]


# --- the weekly airing calendar --------------------------------------------------------------


def test_calendar_shows_weekly_slots_in_the_viewers_time_zone(api_client, fall_2026) -> None:
    # Friday 23:00 JST and a late-night Saturday 00:30 JST, both airing this season.
    friday = _fall(broadcast_start=dt.datetime(2026, 10, 2, 14, 0, tzinfo=dt.UTC), broadcast_period_days=7)
    late = _fall(broadcast_start=dt.datetime(2026, 10, 2, 15, 30, tzinfo=dt.UTC), broadcast_period_days=7)
    _fall(broadcast_start=dt.datetime(2026, 10, 2, 15, 30, tzinfo=dt.UTC), broadcast_period_days=0)  # one-off
    AnimeFactory(
        year=2026,
        season="spring",
        aired_from=dt.date(2026, 4, 3),
        aired_to=dt.date(2026, 6, 26),
        broadcast_start=dt.datetime(2026, 4, 3, 14, 0, tzinfo=dt.UTC),
        broadcast_period_days=7,
    )  # ended before this season

    tokyo = api_client.get("/api/calendar/?tz=Asia/Tokyo&week_of=2026-11-30").json()
    berlin = api_client.get("/api/calendar/?tz=Europe/Berlin&week_of=2026-11-30").json()

    def day_of(body: dict, anime: Anime) -> tuple[str, str, bool]:
        for day in body["days"]:
            for entry in day["entries"]:
                if entry["id"] == anime.id:
                    return day["name"], entry["time"], entry["crosses_midnight"]
        raise AssertionError(f"{anime} not in the calendar")

    assert (tokyo["season"]["year"], tokyo["season"]["season"]) == (2026, "fall")
    assert tokyo["time_zone"] == "Asia/Tokyo"
    assert day_of(tokyo, friday) == ("friday", "23:00", False)
    assert day_of(tokyo, late) == ("saturday", "00:30", False)
    assert day_of(berlin, friday) == ("friday", "15:00", False)
    assert day_of(berlin, late) == ("friday", "16:30", True)  # crosses midnight back to Friday
    assert sum(len(day["entries"]) for day in tokyo["days"]) == 2
    assert next(day["date"] for day in tokyo["days"]) == "2026-11-30"


def test_calendar_rejects_an_unknown_time_zone(api_client) -> None:
    response = api_client.get("/api/calendar/?tz=Mars/Olympus")

    assert response.status_code == 400
    assert "tz" in response.json()["extra"]["fields"]


# --- related entries and the synopsis language -----------------------------------------------


def _franchise() -> tuple[Franchise, list[Anime]]:
    franchise = Franchise.objects.create(key="mal:16498", name_en="Attack on Titan", name_zh="进击的巨人")
    entries = [
        AnimeFactory(
            franchise=franchise,
            franchise_position=i,
            type=kind,
            aired_from=date,
            display_title_en=title,
            display_title_zh=title,
        )
        for i, (kind, date, title) in enumerate(
            [
                ("TV", dt.date(2013, 4, 7), "Attack on Titan"),
                ("OVA", dt.date(2013, 12, 9), "Attack on Titan OVA"),
                ("TV", dt.date(2017, 4, 1), "Attack on Titan Season 2"),
                ("Movie", None, "Attack on Titan: Chronicle"),
            ]
        )
    ]
    return franchise, entries


def test_detail_lists_the_franchise_in_air_order_with_relations(api_client) -> None:
    franchise, (first, ova, second, film) = _franchise()
    AnimeFactory()  # another work

    body = api_client.get(f"/api/anime/{first.id}/", HTTP_ACCEPT_LANGUAGE="en").json()
    related = [(r["id"], r["relation"], r["title"]) for r in body["related"]]

    assert body["franchise"] == {"id": franchise.id, "key": "mal:16498", "name": "Attack on Titan"}
    assert related == [
        (ova.id, "later", "Attack on Titan OVA"),
        (second.id, "sequel", "Attack on Titan Season 2"),
        (film.id, "other", "Attack on Titan: Chronicle"),
    ]
    prequels = [
        r for r in api_client.get(f"/api/anime/{second.id}/").json()["related"] if r["relation"] == "prequel"
    ]
    assert [r["id"] for r in prequels] == [first.id]


def test_hidden_entries_are_not_related_entries(api_client) -> None:
    _, (first, ova, _second, _film) = _franchise()
    Anime.objects.filter(id=ova.id).update(is_hidden=True)

    body = api_client.get(f"/api/anime/{first.id}/").json()

    assert ova.id not in {r["id"] for r in body["related"]}


def test_an_english_page_labels_a_chinese_synopsis(api_client) -> None:
    anime = AnimeFactory(synopsis="", synopsis_zh="人类与巨人的战斗。")
    both = AnimeFactory(synopsis="Humanity fights titans.", synopsis_zh="人类与巨人的战斗。")

    english = api_client.get(f"/api/anime/{anime.id}/", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = api_client.get(f"/api/anime/{both.id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    english_both = api_client.get(f"/api/anime/{both.id}/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert (english["synopsis_display"], english["synopsis_language"]) == ("人类与巨人的战斗。", "zh-Hans")
    assert chinese["synopsis_language"] == "zh-Hans"
    assert (english_both["synopsis_display"], english_both["synopsis_language"]) == (
        "Humanity fights titans.",
        "en",
    )


def test_display_title_follows_the_policy_of_each_ui_language(api_client) -> None:
    anime = AnimeFactory(
        title="Yakusoku no Neverland 2nd Season",
        title_en="THE PROMISED NEVERLAND",
        display_title_en="The Promised Neverland Season 2",
        display_title_zh="约定的梦幻岛 第二季",
    )

    english = api_client.get(f"/api/anime/{anime.id}/", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = api_client.get(f"/api/anime/{anime.id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    assert english["title"] == "The Promised Neverland Season 2"
    assert chinese["title"] == "约定的梦幻岛 第二季"


def test_anime_without_a_mal_id_has_a_detail_page(api_client) -> None:
    anime = AnimeFactory(
        mal_id=None, catalog_key="bgm:500123", bangumi_id=500123, source="bangumi", score=None
    )

    body = api_client.get(f"/api/anime/{anime.id}/").json()

    assert (body["mal_id"], body["catalog_key"], body["bangumi_id"], body["score"]) == (
        None,
        "bgm:500123",
        500123,
        None,
    )


# --- operators merge and split franchises ------------------------------------------------------


def test_merge_puts_franchises_together_and_marks_them_curated(django_capture_on_commit_callbacks) -> None:
    first = AnimeFactory(aired_from=dt.date(1986, 2, 26), franchise=Franchise.objects.create(key="mal:223"))
    z = AnimeFactory(aired_from=dt.date(1989, 4, 26), franchise=Franchise.objects.create(key="mal:813"))
    gt_franchise = Franchise.objects.create(key="mal:225")
    gt = AnimeFactory(aired_from=dt.date(1996, 2, 7), franchise=gt_franchise)
    gt_movie = AnimeFactory(aired_from=dt.date(1997, 1, 1), franchise=gt_franchise)

    with django_capture_on_commit_callbacks(execute=False):
        merged = franchise_merge(anime_ids=[z.id, gt.id, first.id])

    assert merged.key == "mal:223" and merged.is_curated
    order = list(merged.entries.order_by("franchise_position").values_list("id", flat=True))
    assert order == [first.id, z.id, gt.id, gt_movie.id]
    assert set(Franchise.objects.values_list("key", flat=True)) == {"mal:223"}


def test_split_moves_entries_to_a_franchise_of_their_own(django_capture_on_commit_callbacks) -> None:
    franchise, (first, ova, second, film) = _franchise()

    with django_capture_on_commit_callbacks(execute=False):
        split = franchise_split(anime_ids=[film.id])

    assert split.is_curated and split.key.startswith("op:")
    assert list(split.entries.values_list("id", flat=True)) == [film.id]
    franchise.refresh_from_db()
    assert franchise.is_curated
    assert list(franchise.entries.order_by("franchise_position").values_list("id", flat=True)) == [
        first.id,
        ova.id,
        second.id,
    ]


def test_merge_needs_two_anime() -> None:
    from animesite.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        franchise_merge(anime_ids=[AnimeFactory().id])


def test_admin_actions_merge_and_split(admin_client, django_capture_on_commit_callbacks) -> None:
    a = AnimeFactory(aired_from=dt.date(2019, 1, 10), franchise=Franchise.objects.create(key="mal:1"))
    b = AnimeFactory(aired_from=dt.date(2021, 1, 7), franchise=Franchise.objects.create(key="mal:2"))
    url = "/admin/catalog/anime/"

    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(url, {"action": "merge_franchises", "_selected_action": [a.id, b.id]})
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.franchise_id == b.franchise_id

    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(url, {"action": "split_franchise", "_selected_action": [b.id]})
    b.refresh_from_db()
    assert b.franchise_id != a.franchise_id
    assert admin_client.get(f"/admin/catalog/franchise/{a.franchise_id}/change/").status_code == 200
