"""Rankings over HTTP: validation, pagination, caching, hidden anime, the refresh task."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from catalog.filters import CatalogFilter
from catalog.models import Anime
from favorites.models import CollectionEntry
from rankings.selectors import ranking_cache_key
from rankings.services import ranking_hot_specs, rankings_refresh
from tests.factories import AnimeFactory, GenreFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("genre=no-such-genre", "genre"),
        ("type=Film", "type"),
        ("season=monsoon", "season"),
        ("year=20x5", "year"),
        ("year=1200", "year"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(api_client, query, field):
    # when
    response = api_client.get(f"/api/rankings/top/?{query}")

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["extra"]["fields"]) == [field]


def test_unknown_kind_is_404_listing_the_kinds(api_client):
    # when
    response = api_client.get("/api/rankings/best/")

    # then
    assert response.status_code == 404
    assert response.json()["extra"]["kinds"] == ["top", "popular", "favorites", "trending"]


def test_popular_ranking_pages_carry_cards_ranks_and_values(api_client):
    # given
    action = GenreFactory(name="Action", slug="action")
    anime = [AnimeFactory(members=1000 - i * 100, genres=[action]) for i in range(5)]

    # when
    first = api_client.get("/api/rankings/popular/?page_size=2").json()
    second = api_client.get("/api/rankings/popular/?page_size=2&page=2&genre=Action").json()

    # then
    assert first["count"] == 5
    assert first["kind"] == "popular"
    assert [(r["id"], r["rank"]) for r in first["results"]] == [(anime[0].id, 1), (anime[1].id, 2)]
    assert first["results"][0]["value"] == pytest.approx(0.5)
    assert first["results"][0]["details"] == {"members": 1000, "collections": 0}
    assert {"mal_id", "title", "titles", "cover_url", "type", "year", "season", "genres"} <= set(
        first["results"][0]
    )
    assert second["filters"]["genre"] == "action"
    assert [(r["id"], r["rank"]) for r in second["results"]] == [(anime[2].id, 3), (anime[3].id, 4)]


def test_rankings_are_cached_and_a_hidden_anime_disappears_at_once(api_client):
    # given
    users = UserFactory.create_batch(2)
    shown, later_hidden = AnimeFactory(members=10), AnimeFactory(members=20)
    for anime in (shown, later_hidden):
        CollectionEntry.objects.bulk_create([CollectionEntry(user=u, anime=anime, score=8) for u in users])
    before = api_client.get("/api/rankings/top/").json()

    # when
    Anime.objects.filter(pk=later_hidden.pk).update(is_hidden=True)
    after = api_client.get("/api/rankings/top/").json()

    # then: served from the cache (same computed_at), but the hidden anime is not shown
    assert cache.get(ranking_cache_key(kind="top", filters=CatalogFilter())) is not None
    assert after["computed_at"] == before["computed_at"]
    assert {r["id"] for r in before["results"]} == {shown.id, later_hidden.id}
    assert [r["id"] for r in after["results"]] == [shown.id]


def test_refresh_recomputes_unfiltered_and_recently_requested_rankings(api_client):
    # given
    AnimeFactory(members=5, type="TV")
    api_client.get("/api/rankings/popular/?type=tv")
    cache.clear()  # drops cached rankings and the list of requested filters alike
    api_client.get("/api/rankings/popular/?type=tv")
    cache.delete(ranking_cache_key(kind="popular", filters=CatalogFilter(types=("TV",))))

    # when
    result = rankings_refresh()

    # then: four kinds unfiltered + the one filter combination asked for
    assert ranking_hot_specs() == [("popular", CatalogFilter(types=("TV",)))]
    assert result == {"refreshed": 5, "failed": 0}
    for kind in ("top", "popular", "favorites", "trending"):
        assert cache.get(ranking_cache_key(kind=kind, filters=CatalogFilter())) is not None
    assert cache.get(ranking_cache_key(kind="popular", filters=CatalogFilter(types=("TV",)))) is not None


def test_beat_task_refreshes_the_rankings_and_is_scheduled():
    # given
    from django.conf import settings

    from rankings.tasks import rankings_refresh_task

    anime = AnimeFactory(members=7)

    # when
    result = rankings_refresh_task.delay().get()

    # then
    assert result == {"refreshed": 4, "failed": 0}
    cached = cache.get(ranking_cache_key(kind="popular", filters=CatalogFilter()))
    assert [entry[0] for entry in cached["entries"]] == [anime.id]
    schedule = settings.PERIODIC_TASK_DEFAULTS["rankings-refresh"]
    assert schedule["task"] == "rankings.tasks.rankings_refresh_task"
    assert schedule["schedule"] <= 15 * 60
