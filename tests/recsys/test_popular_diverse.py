"""The one popular-and-diverse list (home page and recommendations)."""

from __future__ import annotations

import pytest

from recsys.serving.popularity import popular_diverse_ids
from tests.factories import AnimeFactory, GenreFactory

pytestmark = pytest.mark.django_db


def test_popular_diverse_spreads_picks_across_genres():
    # given: three action anime more popular than one romance anime
    action, romance = GenreFactory(name="Action"), GenreFactory(name="Romance")
    a1 = AnimeFactory(members=1000, genres=[action])
    a2 = AnimeFactory(members=900, genres=[action])
    AnimeFactory(members=800, genres=[action])
    r1 = AnimeFactory(members=500, genres=[romance])

    # when
    picks = popular_diverse_ids(limit=2)
    without_first = popular_diverse_ids(limit=2, exclude={a1.id})

    # then: after a1, another action anime is discounted by the genre already picked
    assert picks == [a1.id, r1.id]
    assert without_first == [a2.id, r1.id]
