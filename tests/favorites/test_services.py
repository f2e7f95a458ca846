"""Collection writes: upsert semantics, validation and the behaviour events they record."""

from __future__ import annotations

import pytest

from activity.models import Interaction, Source
from animesite.exceptions import ApplicationError
from favorites.models import CollectionEntry, WatchStatus
from favorites.services import (
    collection_entry_delete,
    collection_entry_replace,
    collection_entry_upsert,
    collection_favorite_set,
)
from tests.factories import AnimeFactory, UserFactory

pytestmark = pytest.mark.django_db


def _events(user, anime) -> list[tuple[str, int | None, str]]:
    return list(
        Interaction.objects.filter(user=user, anime=anime)
        .order_by("id")
        .values_list("kind", "score", "status")
    )


def test_upsert_creates_an_entry_and_records_a_list_event():
    # given
    user, anime = UserFactory(), AnimeFactory()

    # when
    change = collection_entry_upsert(user=user, anime=anime, status=WatchStatus.WATCHING, score=8)

    # then
    assert change.created is True
    entry = CollectionEntry.objects.get(user=user, anime=anime)
    assert (entry.status, entry.score, entry.is_favorite, entry.source) == ("watching", 8, False, "site")
    assert _events(user, anime) == [("list", 8, "watching")]
    event = Interaction.objects.get(user=user, anime=anime)
    assert event.source == Interaction.Source.SITE
    assert event.occurred_at is not None


def test_upsert_is_idempotent_and_records_nothing_when_nothing_changes():
    # given
    user, anime = UserFactory(), AnimeFactory()
    collection_entry_upsert(user=user, anime=anime, status=WatchStatus.COMPLETED, score=9, is_favorite=True)

    # when
    again = collection_entry_upsert(
        user=user, anime=anime, status=WatchStatus.COMPLETED, score=9, is_favorite=True
    )

    # then
    assert again.created is False
    assert again.changed == ()
    assert CollectionEntry.objects.filter(user=user).count() == 1
    assert _events(user, anime) == [("list", 9, "completed"), ("favorite", None, "")]


def test_upsert_changes_only_the_given_fields_and_records_one_event_per_change():
    # given
    user, anime = UserFactory(), AnimeFactory()
    collection_entry_upsert(user=user, anime=anime, status=WatchStatus.WATCHING, score=6)

    # when
    change = collection_entry_upsert(user=user, anime=anime, status=WatchStatus.COMPLETED, score=9)
    collection_entry_upsert(user=user, anime=anime, is_favorite=True)

    # then
    assert set(change.changed) == {"status", "score"}
    entry = CollectionEntry.objects.get(user=user, anime=anime)
    assert (entry.status, entry.score, entry.is_favorite) == ("completed", 9, True)
    assert _events(user, anime) == [
        ("list", 6, "watching"),
        ("status", None, "completed"),
        ("rate", 9, ""),
        ("favorite", None, ""),
    ]


def test_clearing_a_score_records_a_rate_event_without_score():
    # given
    user, anime = UserFactory(), AnimeFactory()
    collection_entry_upsert(user=user, anime=anime, score=4)

    # when
    collection_entry_upsert(user=user, anime=anime, score=None)

    # then
    assert CollectionEntry.objects.get(user=user, anime=anime).score is None
    assert _events(user, anime)[-1] == ("rate", None, "")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"score": 0}, "score"),
        ({"score": 11}, "score"),
        ({"score": True}, "score"),
        ({"status": "plan_to_watch"}, "status"),
    ],
)
def test_invalid_values_are_rejected_naming_the_field(values, field):
    # given
    user, anime = UserFactory(), AnimeFactory()

    # when
    with pytest.raises(ApplicationError) as raised:
        collection_entry_upsert(user=user, anime=anime, **values)

    # then
    assert list(raised.value.extra["fields"]) == [field]
    assert not CollectionEntry.objects.exists()
    assert not Interaction.objects.exists()


def test_replace_resets_fields_that_are_not_given():
    # given
    user, anime = UserFactory(), AnimeFactory()
    collection_entry_upsert(user=user, anime=anime, status=WatchStatus.DROPPED, score=3, is_favorite=True)

    # when
    collection_entry_replace(user=user, anime=anime, status=WatchStatus.ON_HOLD)

    # then
    entry = CollectionEntry.objects.get(user=user, anime=anime)
    assert (entry.status, entry.score, entry.is_favorite) == ("on_hold", None, False)
    assert [kind for kind, _, _ in _events(user, anime)][-3:] == ["status", "rate", "unfavorite"]


def test_delete_removes_the_entry_and_records_remove_once():
    # given
    user, anime = UserFactory(), AnimeFactory()
    collection_entry_upsert(user=user, anime=anime, status=WatchStatus.WATCHING)

    # when
    first = collection_entry_delete(user=user, anime=anime)
    second = collection_entry_delete(user=user, anime=anime)

    # then
    assert (first, second) == (True, False)
    assert not CollectionEntry.objects.filter(user=user, anime=anime).exists()
    assert [kind for kind, _, _ in _events(user, anime)] == ["list", "remove"]


def test_favorite_set_creates_the_entry_and_unfavorite_of_a_missing_entry_does_nothing():
    # given
    user, anime, other = UserFactory(), AnimeFactory(), AnimeFactory()

    # when
    favorited = collection_favorite_set(user=user, anime=anime, is_favorite=True)
    missing = collection_favorite_set(user=user, anime=other, is_favorite=False)
    unfavorited = collection_favorite_set(user=user, anime=anime, is_favorite=False)

    # then
    assert favorited is not None and favorited.created is True
    assert missing is None
    assert not CollectionEntry.objects.filter(user=user, anime=other).exists()
    assert unfavorited is not None and unfavorited.entry.is_favorite is False
    assert [kind for kind, _, _ in _events(user, anime)] == ["list", "favorite", "unfavorite"]


def test_an_entry_written_outside_the_service_is_updated_not_duplicated():
    # given: a data-set row, written by the loader
    user, anime = UserFactory(), AnimeFactory()
    CollectionEntry.objects.create(user=user, anime=anime, score=7, source=Source.DATASET)

    # when
    change = collection_entry_upsert(user=user, anime=anime, score=8)

    # then
    assert change.created is False
    assert change.changed == ("score",)
    assert CollectionEntry.objects.get(user=user, anime=anime).score == 8
