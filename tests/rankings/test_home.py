"""The home page: featured, the real current season, trending, recommendations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from activity import trending
from catalog.etl import seasons
from favorites.models import CollectionEntry
from rankings import home
from rankings.home import home_page
from tests.factories import AnimeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class FakeResult:
    items: list
    degraded: bool


@pytest.mark.parametrize(
    ("month", "season"),
    [(1, "winter"), (3, "winter"), (4, "spring"), (7, "summer"), (10, "fall"), (12, "fall")],
)
def test_season_of_a_date(month, season):
    assert seasons.season_of(date(2020, month, 15)) == seasons.Season(2020, season)


def test_home_shows_the_real_current_season_with_what_airs_in_it():
    # given: nothing began in winter 2026, one show continues from fall 2025, one ended in 2025
    continuing = AnimeFactory(
        year=2025, season="fall", aired_from=datetime(2025, 10, 3).date(), aired_to=None, members=10
    )
    AnimeFactory(
        year=2025,
        season="fall",
        aired_from=datetime(2025, 10, 3).date(),
        aired_to=datetime(2025, 12, 19).date(),
        members=999,
    )

    # when
    page = home_page(user=None, language="en", now=datetime(2026, 2, 1, tzinfo=UTC))

    # then: the section is winter 2026, never an older season
    season = page["season"]
    assert (season["season"], season["year"], season["is_current"]) == ("winter", 2026, True)
    assert season["scope"] == "airing"
    assert [a["id"] for a in season["results"]] == [continuing.id]


def test_anonymous_home_has_every_section_and_says_which_season_it_shows(api_client, monkeypatch):
    # given: the current season (fall 2026 by the clock below) and an older one
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    featured = AnimeFactory(is_featured=True, members=50, year=2015)
    AnimeFactory(is_featured=True, is_hidden=True, year=2015)
    fall = [AnimeFactory(year=2026, season="fall", members=m) for m in (300, 100)]
    AnimeFactory(year=2019, season="fall", members=999)

    # when
    body = api_client.get("/api/home/").json()

    # then
    assert [a["id"] for a in body["featured"]] == [featured.id]
    season = body["season"]
    assert (season["season"], season["year"], season["is_current"]) == ("fall", 2026, True)
    assert [a["id"] for a in season["results"]][:2] == [a.id for a in fall]
    assert body["trending"]["basis"] == "popular"  # nothing happened lately
    assert body["trending"]["results"][0]["rank"] == 1
    recommendations = body["recommendations"]
    assert (recommendations["source"], recommendations["personalized"]) == ("popular_diverse", False)
    # no anime in two sections: the two others fill trending, nothing is left to repeat
    season_ids = {a["id"] for a in season["results"]}
    trending_ids = {a["id"] for a in body["trending"]["results"]}
    assert not season_ids & trending_ids
    assert len(season_ids | trending_ids) == 4  # every visible anime once, the hidden one left out
    assert recommendations["results"] == []


def test_home_for_the_current_season_and_recent_activity():
    # given: activity on this season's anime and on an older one
    current = AnimeFactory(year=2026, season="fall")
    older = AnimeFactory(year=2011, season="spring")
    AnimeFactory(year=2026, season="summer")
    trending.trending_record(anime_id=current.id, kind="favorite", at=NOW, now=NOW)
    trending.trending_record(anime_id=older.id, kind="list", at=NOW, now=NOW)

    # when
    page = home_page(user=None, language="en", now=NOW)

    # then: the season's anime is shown once, in its own section
    assert page["season"]["is_current"] is True
    assert [a["id"] for a in page["season"]["results"]] == [current.id]
    assert page["trending"]["basis"] == "activity"
    assert [a["id"] for a in page["trending"]["results"]] == [older.id]


def test_home_sections_share_no_anime_on_a_site_without_activity():
    # given: a season of 12 airing anime and 30 more popular ones
    for members in range(12):
        AnimeFactory(year=2026, season="fall", members=1000 + members)
    for members in range(30):
        AnimeFactory(year=2010, season="spring", members=50000 + members)

    # when
    page = home_page(user=None, language="en", now=NOW)

    # then
    sections = [
        [a["id"] for a in page["season"]["results"]],
        [a["id"] for a in page["trending"]["results"]],
        [a["id"] for a in page["recommendations"]["results"]],
    ]
    assert [len(ids) for ids in sections] == [12, 12, 12]
    assert len({i for ids in sections for i in ids}) == 36
    assert page["trending"]["basis"] == "popular"  # the airing anime are the season section already


def test_signed_in_user_gets_the_recommenders_answer(user_client, user, monkeypatch):
    # given
    anime = AnimeFactory()
    calls = []

    def recommend_for_user(*, user, limit, language):
        calls.append((user.pk, limit, language))
        return FakeResult(items=[{"id": anime.id, "reason": {"code": "because_you_liked"}}], degraded=True)

    monkeypatch.setattr(home, "recommend_for_user", recommend_for_user)

    # when
    body = user_client.get("/api/home/").json()

    # then
    assert calls == [(user.pk, home.HOME_SECTION_SIZE, "en")]
    recommendations = body["recommendations"]
    assert (recommendations["source"], recommendations["personalized"], recommendations["degraded"]) == (
        "recommender",
        True,
        True,
    )
    assert recommendations["results"] == [{"id": anime.id, "reason": {"code": "because_you_liked"}}]


def test_signed_in_user_gets_popular_diverse_without_their_own_anime_when_the_recommender_fails(
    user_client, user, monkeypatch
):
    # given
    mine = AnimeFactory(members=1000)
    other = AnimeFactory(members=10)
    CollectionEntry.objects.create(user=user, anime=mine, score=9)

    def broken(**kwargs):
        raise RuntimeError("model files missing")

    monkeypatch.setattr(home, "recommend_for_user", broken)

    # when
    body = user_client.get("/api/home/").json()

    # then
    recommendations = body["recommendations"]
    assert (recommendations["source"], recommendations["degraded"]) == ("popular_diverse", True)
    assert [a["id"] for a in recommendations["results"]] == [other.id]


def test_shared_sections_are_cached(api_client):
    # given
    first = api_client.get("/api/home/").json()
    AnimeFactory(is_featured=True)

    # when
    second = api_client.get("/api/home/").json()

    # then
    assert second["generated_at"] == first["generated_at"]
    assert second["featured"] == first["featured"] == []
