"""Episode progress, rewatches and start/finish dates of list entries: services and HTTP API."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from animesite.exceptions import ApplicationError
from favorites.models import CollectionEntry
from favorites.services import collection_entry_upsert, collection_episode_increment
from tests.factories import AnimeFactory, CollectionEntryFactory

pytestmark = pytest.mark.django_db


def test_plus_one_adds_the_anime_starts_watching_and_counts_up(user):
    # given
    anime = AnimeFactory(episodes=3)

    # when
    first = collection_episode_increment(user=user, anime=anime, today=date(2026, 11, 2))
    second = collection_episode_increment(user=user, anime=anime, today=date(2026, 11, 3))

    # then
    assert first.change.created is True
    entry = CollectionEntry.objects.get(user=user, anime=anime)
    assert (entry.episodes_watched, entry.status, entry.start_date) == (2, "watching", date(2026, 11, 2))
    assert first.offer_complete is False and second.offer_complete is False


def test_the_last_episode_offers_completion_and_the_count_stops_there(user):
    # given: watched 23/24
    anime = AnimeFactory(episodes=24)
    CollectionEntryFactory(user=user, anime=anime, status="watching", episodes_watched=23)

    # when
    last = collection_episode_increment(user=user, anime=anime)
    past_the_end = collection_episode_increment(user=user, anime=anime)

    # then
    assert last.change.entry.episodes_watched == 24
    assert last.offer_complete is True
    assert past_the_end.change.entry.episodes_watched == 24
    assert past_the_end.change.changed == ()
    assert past_the_end.offer_complete is True


def test_a_completed_entry_is_not_offered_completion_again(user):
    anime = AnimeFactory(episodes=2)
    CollectionEntryFactory(user=user, anime=anime, status="completed", episodes_watched=2)

    progress = collection_episode_increment(user=user, anime=anime)

    assert progress.offer_complete is False
    assert progress.change.entry.episodes_watched == 2


def test_unknown_episode_count_is_not_capped(user):
    anime = AnimeFactory(episodes=None)
    CollectionEntryFactory(user=user, anime=anime, status="watching", episodes_watched=1100)

    progress = collection_episode_increment(user=user, anime=anime)

    assert progress.change.entry.episodes_watched == 1101
    assert progress.offer_complete is False


def test_marking_completed_on_the_site_fills_the_episodes(user):
    anime = AnimeFactory(episodes=12)
    CollectionEntryFactory(user=user, anime=anime, status="watching", episodes_watched=5)

    change = collection_entry_upsert(user=user, anime=anime, status="completed")

    assert change.entry.episodes_watched == 12
    assert change.entry.finish_date == timezone.localdate()
    assert set(change.changed) == {"status", "episodes_watched", "finish_date"}


def test_an_import_marking_completed_fills_nothing_in(user):
    anime = AnimeFactory(episodes=12)

    change = collection_entry_upsert(user=user, anime=anime, status="completed", source="mal_import")

    assert change.entry.episodes_watched == 0
    assert change.entry.finish_date is None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"episodes_watched": 13}, "episodes_watched"),
        ({"episodes_watched": -1}, "episodes_watched"),
        ({"rewatch_count": 1000}, "rewatch_count"),
        ({"start_date": date(2026, 5, 2), "finish_date": date(2026, 5, 1)}, "finish_date"),
    ],
)
def test_invalid_values_raise_field_errors_and_change_nothing(user, values, field):
    anime = AnimeFactory(episodes=12)

    with pytest.raises(ApplicationError) as caught:
        collection_entry_upsert(user=user, anime=anime, **values)

    assert caught.value.code == "invalid"
    assert list(caught.value.extra["fields"]) == [field]
    assert not CollectionEntry.objects.filter(user=user).exists()


def test_a_finish_date_before_the_stored_start_date_is_refused(user):
    anime = AnimeFactory()
    CollectionEntryFactory(user=user, anime=anime, start_date=date(2026, 3, 1))

    with pytest.raises(ApplicationError) as caught:
        collection_entry_upsert(user=user, anime=anime, finish_date=date(2026, 2, 28))

    assert "finish_date" in caught.value.extra["fields"]


# --- HTTP --------------------------------------------------------------------------------------


def test_progress_endpoint_counts_up_to_the_last_episode_then_completion_is_a_status_change(user_client):
    # given
    anime = AnimeFactory(episodes=2)

    # when
    one = user_client.post(f"/api/collection/{anime.id}/progress/")
    two = user_client.post(f"/api/collection/{anime.id}/progress/")
    done = user_client.patch(f"/api/collection/{anime.id}/", {"status": "completed"}, format="json")

    # then
    assert one.status_code == 201
    assert (one.json()["episodes_watched"], one.json()["offer_complete"]) == (1, False)
    assert two.status_code == 200
    assert (two.json()["episodes_watched"], two.json()["offer_complete"]) == (2, True)
    assert (done.json()["status"], done.json()["episodes_watched"]) == ("completed", 2)


def test_progress_endpoint_on_a_missing_anime_is_404(user_client):
    response = user_client.post("/api/collection/999999999/progress/")

    assert response.status_code == 404


def test_patch_sets_rewatches_and_dates(user_client):
    anime = AnimeFactory(episodes=12)
    user_client.post("/api/collection/", {"anime_id": anime.id, "status": "completed"}, format="json")

    response = user_client.patch(
        f"/api/collection/{anime.id}/",
        {"rewatch_count": 2, "start_date": "2026-01-05", "finish_date": "2026-02-01"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["rewatch_count"], body["start_date"], body["finish_date"]) == (2, "2026-01-05", "2026-02-01")
    assert body["episodes_watched"] == 12


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"episodes_watched": 13}, "episodes_watched"),
        ({"episodes_watched": "seven"}, "episodes_watched"),
        ({"rewatch_count": -1}, "rewatch_count"),
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"start_date": "2026-05-02", "finish_date": "2026-05-01"}, "finish_date"),
    ],
)
def test_bad_values_are_400_with_the_field_named(user_client, payload, field):
    anime = AnimeFactory(episodes=12)

    response = user_client.post("/api/collection/", {"anime_id": anime.id, **payload}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["extra"]["fields"]
    assert not CollectionEntry.objects.filter(anime=anime).exists()
