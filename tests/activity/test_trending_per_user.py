"""Trending cannot be bought by one account: each user counts at most once per anime per window,
in the sorted set and in the database fallback alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from activity import trending
from activity.models import EventKind
from activity.services import Event, events_record
from tests.factories import AnimeFactory, UserFactory

pytestmark = pytest.mark.django_db


def _views_and_toggles(user_id: int, anime_id: int, *, views: int, toggles: int) -> list[Event]:
    events = [Event(user_id=user_id, anime_id=anime_id, kind=EventKind.VIEW) for _ in range(views)]
    for _ in range(toggles):
        events.append(Event(user_id=user_id, anime_id=anime_id, kind=EventKind.FAVORITE))
        events.append(Event(user_id=user_id, anime_id=anime_id, kind=EventKind.UNFAVORITE))
    return events


def test_forty_views_and_ten_favourite_toggles_from_one_user_do_not_top_the_chart(
    django_capture_on_commit_callbacks,
):
    bought, liked = AnimeFactory(), AnimeFactory()
    buyer, fan_a, fan_b = UserFactory(), UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        events_record(events=_views_and_toggles(buyer.pk, bought.pk, views=40, toggles=10))
        events_record(
            events=[
                Event(user_id=fan_a.pk, anime_id=liked.pk, kind=EventKind.FAVORITE),
                Event(user_id=fan_b.pk, anime_id=liked.pk, kind=EventKind.LIST),
            ]
        )

    scores = dict(trending.trending_scores())
    assert scores[bought.id] == pytest.approx(2.0, rel=1e-3)  # one favourite's weight, once
    assert scores[liked.id] == pytest.approx(3.0, rel=1e-3)
    assert trending.trending_scores()[0][0] == liked.id

    from_db = dict(trending.trending_scores_from_db(now=trending.default_clock() + timedelta(seconds=1)))
    assert from_db[bought.id] == pytest.approx(scores[bought.id], rel=1e-3)
    assert from_db[liked.id] == pytest.approx(scores[liked.id], rel=1e-3)


def test_the_same_user_counts_again_in_a_later_window(django_capture_on_commit_callbacks):
    anime, user = AnimeFactory(), UserFactory()
    now = trending.default_clock()
    earlier = now - trending.USER_WINDOW * 2
    assert trending.trending_record(anime_id=anime.pk, kind="list", at=earlier, now=now, user_id=user.pk)
    assert not trending.trending_record(anime_id=anime.pk, kind="view", at=earlier, now=now, user_id=user.pk)
    assert trending.trending_record(anime_id=anime.pk, kind="list", at=now, now=now, user_id=user.pk)
    decay = 2 ** (-(now - earlier) / trending.HALF_LIFE)
    assert dict(trending.trending_scores(now=now))[anime.id] == pytest.approx(1.0 + decay, rel=1e-6)


def test_a_stronger_event_in_the_window_adds_only_the_difference():
    anime, user = AnimeFactory(), UserFactory()
    now = trending.default_clock()
    trending.trending_record(anime_id=anime.pk, kind="view", at=now, now=now, user_id=user.pk)
    trending.trending_record(anime_id=anime.pk, kind="favorite", at=now, now=now, user_id=user.pk)
    trending.trending_record(anime_id=anime.pk, kind="list", at=now, now=now, user_id=user.pk)
    assert dict(trending.trending_scores(now=now))[anime.id] == pytest.approx(2.0, rel=1e-6)
