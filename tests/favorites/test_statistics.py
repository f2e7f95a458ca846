"""Statistics of a user's list: figures, the duration assumption, a bounded number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Anime
from favorites.statistics import collection_statistics, entry_episodes
from tests.factories import AnimeFactory, CollectionEntryFactory, GenreFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_entry_episodes_counts_progress_completion_and_rewatches():
    assert entry_episodes(status="watching", episodes_watched=7, rewatch_count=0, anime_episodes=24) == 7
    # completed with no progress recorded: the whole series
    assert entry_episodes(status="completed", episodes_watched=0, rewatch_count=0, anime_episodes=24) == 24
    # watched once and rewatched twice
    assert entry_episodes(status="completed", episodes_watched=12, rewatch_count=2, anime_episodes=12) == 36
    assert entry_episodes(status="completed", episodes_watched=0, rewatch_count=1, anime_episodes=None) == 0


def test_statistics_of_a_list():
    # given
    user = UserFactory()
    action, drama = GenreFactory(name="Action"), GenreFactory(name="Drama")
    tv = AnimeFactory(type=Anime.Type.TV, episodes=24, genres=[action, drama])
    movie = AnimeFactory(type=Anime.Type.MOVIE, episodes=1, genres=[drama])
    ova = AnimeFactory(type=Anime.Type.OVA, episodes=2, genres=[action])
    CollectionEntryFactory(
        user=user, anime=tv, status="completed", score=9, episodes_watched=24, rewatch_count=1
    )
    CollectionEntryFactory(user=user, anime=movie, status="completed", score=7, is_favorite=True)
    CollectionEntryFactory(user=user, anime=ova, status="watching", score=9, episodes_watched=1)
    CollectionEntryFactory(anime=tv, status="completed", score=1)  # someone else's entry

    # when
    stats = collection_statistics(user=user)

    # then
    assert (stats["total"], stats["favorites"], stats["scored"], stats["mean_score"]) == (3, 1, 3, 8.33)
    assert {row["status"]: row["count"] for row in stats["statuses"]} == {
        "watching": 1,
        "completed": 2,
        "on_hold": 0,
        "dropped": 0,
        "want_to_watch": 0,
    }
    assert [row["count"] for row in stats["scores"]] == [0, 0, 0, 0, 0, 0, 1, 0, 2, 0]
    assert stats["genres"] == [
        {"name": "Action", "slug": "action", "count": 2, "mean_score": 9.0},
        {"name": "Drama", "slug": "drama", "count": 2, "mean_score": 8.0},
    ]
    # TV 48 episodes (24 + one rewatch), the movie 1, the OVA 1
    assert stats["episodes"] == 50
    assert stats["minutes"] == 48 * 24 + 1 * 100 + 1 * 30
    assert stats["days"] == round((48 * 24 + 100 + 30) / 1440, 1)
    assert {row["type"]: row["episodes"] for row in stats["types"]} == {"TV": 48, "Movie": 1, "OVA": 1}


def test_an_empty_list_has_zeros_and_no_mean():
    stats = collection_statistics(user=UserFactory())

    assert (stats["total"], stats["mean_score"], stats["episodes"], stats["days"]) == (0, None, 0, 0.0)
    assert stats["genres"] == []


def test_statistics_api_takes_the_same_number_of_queries_for_a_long_list(user_client, user):
    # given
    genre = GenreFactory(name="Comedy")
    CollectionEntryFactory(user=user, anime=AnimeFactory(genres=[genre]), status="completed", score=8)
    user_client.get("/api/collection/statistics/")  # the signed-in user is cached from now on
    with CaptureQueriesContext(connection) as short:
        user_client.get("/api/collection/statistics/")
    for _ in range(30):
        CollectionEntryFactory(user=user, anime=AnimeFactory(genres=[genre]), status="watching", score=6)

    # when
    with CaptureQueriesContext(connection) as long:
        response = user_client.get("/api/collection/statistics/")

    # then
    assert response.status_code == 200
    assert response.json()["total"] == 31
    assert len(long.captured_queries) == len(short.captured_queries)
    assert len(long.captured_queries) == 2  # entries, genres


def test_statistics_need_a_signed_in_user(api_client):
    assert api_client.get("/api/collection/statistics/").status_code in (401, 403)
