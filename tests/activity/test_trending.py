"""Trending: the decayed sorted set with a controlled clock, its rebase, the database fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis

from activity import trending
from activity.models import EventKind, Interaction
from activity.services import event_record
from catalog.filters import CatalogFilter
from favorites.services import collection_entry_upsert
from rankings.formulas import trending_compute
from tests.factories import AnimeFactory, UserFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def _redis_down():
    raise redis.ConnectionError("connection refused")


def test_an_event_one_half_life_ago_counts_half():
    # given
    trending.trending_record(anime_id=1, kind="list", at=NOW - WEEK, now=NOW - WEEK)
    trending.trending_record(anime_id=2, kind="list", at=NOW, now=NOW)
    trending.trending_record(anime_id=3, kind="favorite", at=NOW - 2 * WEEK, now=NOW)

    # when
    scores = dict(trending.trending_scores(now=NOW))
    a_week_later = dict(trending.trending_scores(now=NOW + WEEK))

    # then
    assert scores == {1: pytest.approx(0.5), 2: pytest.approx(1.0), 3: pytest.approx(0.5)}
    assert a_week_later == {1: pytest.approx(0.25), 2: pytest.approx(0.5), 3: pytest.approx(0.25)}


def test_weights_follow_the_kind_and_removals_do_not_count():
    # when
    for kind in ("list", "rate", "status", "favorite", "view", "remove", "unfavorite", "not_interested"):
        trending.trending_record(anime_id=7, kind=kind, at=NOW, now=NOW)

    # then: 1 + 1 + 0.5 + 2 + 0.25
    assert dict(trending.trending_scores(now=NOW)) == {7: pytest.approx(4.75)}


def test_the_set_is_rebased_when_the_epoch_grows_old_and_scores_stay_right():
    # given: epoch set by the first event
    trending.trending_record(anime_id=1, kind="list", at=NOW, now=NOW)
    later = NOW + (trending.REBASE_AFTER_HALF_LIVES + 1) * WEEK

    # when
    trending.trending_record(anime_id=2, kind="list", at=later, now=later)

    # then: the epoch moved, anime 1 decayed by 2**-9 and is still there, anime 2 counts 1
    client = trending._redis()
    assert float(client.get(trending.epoch_key())) == pytest.approx(later.timestamp())
    assert dict(trending.trending_scores(now=later)) == {
        2: pytest.approx(1.0),
        1: pytest.approx(2**-9),
    }
    assert float(client.zscore(trending.zset_key(), "2")) == pytest.approx(1.0)


def test_events_too_old_to_matter_are_not_written():
    # when
    written = trending.trending_record(anime_id=5, kind="list", at=NOW - 11 * WEEK, now=NOW)

    # then
    assert written is False
    assert trending.trending_scores(now=NOW) == []


@pytest.mark.django_db
def test_collection_changes_feed_trending_after_commit(django_capture_on_commit_callbacks):
    # given
    user, anime = UserFactory(), AnimeFactory()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        collection_entry_upsert(user=user, anime=anime, status="watching", is_favorite=True)

    # then: list (1) + favorite (2), just now
    assert dict(trending.trending_scores()) == {anime.id: pytest.approx(3.0, rel=1e-3)}


@pytest.mark.django_db
def test_a_redis_failure_never_breaks_the_write(monkeypatch, django_capture_on_commit_callbacks):
    # given
    user, anime = UserFactory(), AnimeFactory()
    monkeypatch.setattr(trending, "_redis", _redis_down)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        change = collection_entry_upsert(user=user, anime=anime, score=9)

    # then
    assert change.created is True
    assert Interaction.objects.filter(user=user, anime=anime, kind="list").exists()


@pytest.mark.django_db
def test_dataset_rows_never_count_towards_trending(django_capture_on_commit_callbacks):
    # given
    user, anime = UserFactory(), AnimeFactory()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        event_record(
            user_id=user.pk, anime_id=anime.pk, kind=EventKind.LIST, source=Interaction.Source.DATASET
        )

    # then
    assert trending.trending_scores() == []


@pytest.mark.django_db
def test_database_fallback_computes_the_same_decayed_sum():
    # given
    user = UserFactory()
    old, new, hidden = AnimeFactory(), AnimeFactory(), AnimeFactory(is_hidden=True)
    event_record(user_id=user.pk, anime_id=old.pk, kind=EventKind.LIST, occurred_at=NOW - WEEK)
    event_record(user_id=user.pk, anime_id=old.pk, kind=EventKind.REMOVE, occurred_at=NOW)
    event_record(user_id=user.pk, anime_id=new.pk, kind=EventKind.FAVORITE, occurred_at=NOW - WEEK / 2)
    event_record(user_id=user.pk, anime_id=hidden.pk, kind=EventKind.FAVORITE, occurred_at=NOW)
    event_record(user_id=user.pk, anime_id=new.pk, kind=EventKind.LIST, source=Interaction.Source.DATASET)

    # when
    from_db = dict(trending.trending_scores_from_db(now=NOW))

    # then: old = 1 * 0.5; new = 2 * 2**-0.5
    assert from_db[old.id] == pytest.approx(0.5, rel=1e-6)
    assert from_db[new.id] == pytest.approx(2 * 2**-0.5, rel=1e-6)


@pytest.mark.django_db
def test_trending_ranking_degrades_to_the_database_and_excludes_hidden(monkeypatch):
    # given
    user = UserFactory()
    seen, hidden = AnimeFactory(), AnimeFactory(is_hidden=True)
    event_record(user_id=user.pk, anime_id=seen.pk, kind=EventKind.LIST, occurred_at=NOW - WEEK)
    event_record(user_id=user.pk, anime_id=hidden.pk, kind=EventKind.FAVORITE, occurred_at=NOW)
    monkeypatch.setattr(trending, "_redis", _redis_down)

    # when
    ranking = trending_compute(filters=CatalogFilter(), now=NOW)

    # then
    assert ranking.degraded is True
    assert [(a, v) for a, v, _ in ranking.entries] == [(seen.id, pytest.approx(0.5))]


@pytest.mark.django_db
def test_trending_ranking_reads_the_sorted_set_and_applies_filters():
    # given
    tv, movie, hidden = AnimeFactory(type="TV"), AnimeFactory(type="Movie"), AnimeFactory(is_hidden=True)
    trending.trending_record(anime_id=tv.id, kind="list", at=NOW - WEEK, now=NOW)
    trending.trending_record(anime_id=movie.id, kind="favorite", at=NOW, now=NOW)
    trending.trending_record(anime_id=hidden.id, kind="favorite", at=NOW, now=NOW)

    # when
    everything = trending_compute(filters=CatalogFilter(), now=NOW)
    tv_only = trending_compute(filters=CatalogFilter(types=("TV",)), now=NOW)

    # then
    assert everything.degraded is False
    assert [(a, v) for a, v, _ in everything.entries] == [(movie.id, 2.0), (tv.id, 0.5)]
    assert [a for a, _, _ in tv_only.entries] == [tv.id]
