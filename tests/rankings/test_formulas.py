"""Each ranking formula against values computed by hand from a small fixture."""

from __future__ import annotations

import pytest

from catalog.filters import CatalogFilter
from favorites.models import CollectionEntry
from rankings.formulas import (
    favorites_compute,
    popular_compute,
    top_rated_compute,
    top_rated_parameters,
)
from tests.factories import AnimeFactory, GenreFactory, UserFactory

pytestmark = pytest.mark.django_db


def scores(anime, values, users) -> None:
    CollectionEntry.objects.bulk_create(
        [CollectionEntry(user=u, anime=anime, score=v) for u, v in zip(users, values, strict=False)]
    )


def test_top_rated_is_the_bayesian_average_and_three_tens_do_not_top_the_chart():
    # given: vote counts 3, 40, 5, 2 and one hidden anime whose votes count for nothing
    users = UserFactory.create_batch(40)
    three_tens = AnimeFactory(title="Three tens")
    forty_nines = AnimeFactory(title="Forty nines")
    five_sixes = AnimeFactory(title="Five sixes")
    eight_seven = AnimeFactory(title="Eight and seven")
    hidden = AnimeFactory(title="Hidden", is_hidden=True)
    scores(three_tens, [10, 10, 10], users)
    scores(forty_nines, [9] * 40, users)
    scores(five_sixes, [6] * 5, users)
    scores(eight_seven, [8, 7], users)
    scores(hidden, [1] * 30, users)

    # when
    params = top_rated_parameters()
    ranking = top_rated_compute(filters=CatalogFilter())

    # then: C = (30 + 360 + 30 + 15) / 50 = 8.7
    #       m = 80th percentile of [2, 3, 5, 40] = 5 + 0.4 * (40 - 5) = 19 (above the floor of 10)
    assert params["C"] == pytest.approx(8.7)
    assert params["m"] == pytest.approx(19.0)
    # (sum + m*C) / (v + m): B = (360 + 165.3) / 59, A = (30 + 165.3) / 22, D = (15 + 165.3) / 21,
    # C = (30 + 165.3) / 24
    assert [(a, v) for a, v, _ in ranking.entries] == [
        (forty_nines.id, pytest.approx(8.9034, abs=1e-4)),
        (three_tens.id, pytest.approx(8.8773, abs=1e-4)),
        (eight_seven.id, pytest.approx(8.5857, abs=1e-4)),
        (five_sixes.id, pytest.approx(8.1375, abs=1e-4)),
    ]
    assert ranking.entries[1][2] == {"votes": 3, "mean": 10.0}


def test_top_rated_uses_the_floor_when_few_anime_are_scored():
    # given: vote counts 1 and 4 -> 80th percentile 3.4, under the floor of 10
    users = UserFactory.create_batch(4)
    one = AnimeFactory()
    four = AnimeFactory()
    scores(one, [10], users)
    scores(four, [6, 6, 6, 6], users)

    # when
    ranking = top_rated_compute(filters=CatalogFilter())

    # then: C = 34 / 5 = 6.8; one = (10 + 68) / 11 = 7.0909, four = (24 + 68) / 14 = 6.5714
    assert ranking.parameters["m"] == 10.0
    assert [(a, v) for a, v, _ in ranking.entries] == [
        (one.id, pytest.approx(7.0909, abs=1e-4)),
        (four.id, pytest.approx(6.5714, abs=1e-4)),
    ]


def test_popular_blends_members_and_collections_scaled_by_their_maxima():
    # given: max members 1000 (the hidden 5000 does not count), max collections 4
    users = UserFactory.create_batch(4)
    big = AnimeFactory(members=1000)
    loved = AnimeFactory(members=400)
    small = AnimeFactory(members=0)
    hidden = AnimeFactory(members=5000, is_hidden=True)
    nothing = AnimeFactory(members=0)
    scores(big, [None, None], users)
    scores(loved, [None] * 4, users)
    scores(small, [None], users)
    scores(hidden, [None] * 4, users)

    # when
    ranking = popular_compute(filters=CatalogFilter())

    # then: 0.5 * members / 1000 + 0.5 * collections / 4
    assert [(a, v) for a, v, _ in ranking.entries] == [
        (big.id, pytest.approx(0.75)),  # 0.5 + 0.25
        (loved.id, pytest.approx(0.70)),  # 0.2 + 0.5
        (small.id, pytest.approx(0.125)),  # 0 + 0.125
    ]
    assert nothing.id not in [a for a, _, _ in ranking.entries]
    assert ranking.entries[0][2] == {"members": 1000, "collections": 2}


def test_most_favourited_counts_site_favourites_then_perfect_scores():
    # given
    users = UserFactory.create_batch(3)
    two_favs = AnimeFactory(members=10)
    one_fav = AnimeFactory(members=10)
    perfect_only = AnimeFactory(members=10)
    neither = AnimeFactory(members=99999)
    hidden = AnimeFactory(is_hidden=True)
    CollectionEntry.objects.bulk_create(
        [
            CollectionEntry(user=users[0], anime=two_favs, is_favorite=True),
            CollectionEntry(user=users[1], anime=two_favs, is_favorite=True, score=3),
            CollectionEntry(user=users[0], anime=one_fav, is_favorite=True, score=10),
            CollectionEntry(user=users[1], anime=one_fav, score=10),
            CollectionEntry(user=users[2], anime=one_fav, score=10),
            CollectionEntry(user=users[0], anime=perfect_only, score=10),
            CollectionEntry(user=users[1], anime=perfect_only, score=10),
            CollectionEntry(user=users[0], anime=neither, score=9),
            CollectionEntry(user=users[0], anime=hidden, is_favorite=True),
            CollectionEntry(user=users[1], anime=hidden, is_favorite=True),
            CollectionEntry(user=users[2], anime=hidden, is_favorite=True),
        ]
    )

    # when
    ranking = favorites_compute(filters=CatalogFilter())

    # then
    assert [(a, v, d) for a, v, d in ranking.entries] == [
        (two_favs.id, 2.0, {"favorites": 2, "perfect_scores": 0}),
        (one_fav.id, 1.0, {"favorites": 1, "perfect_scores": 3}),
        (perfect_only.id, 0.0, {"favorites": 0, "perfect_scores": 2}),
    ]


def test_filters_restrict_the_global_ranking():
    # given
    users = UserFactory.create_batch(2)
    action = GenreFactory(name="Action", slug="action")
    tv_2015 = AnimeFactory(members=100, type="TV", year=2015, season="spring", genres=[action])
    movie = AnimeFactory(members=300, type="Movie", year=2015, season="spring", genres=[action])
    tv_2016 = AnimeFactory(members=200, type="TV", year=2016, season="fall")
    scores(tv_2015, [None, None], users)

    def ids(**filters) -> list[int]:
        return [a for a, _, _ in popular_compute(filters=CatalogFilter.of(**filters)).entries]

    # when / then
    assert ids() == [tv_2015.id, movie.id, tv_2016.id]  # 0.5/3+0.5, 0.5, 0.5*2/3
    assert ids(genre="action") == [tv_2015.id, movie.id]
    assert ids(type="TV") == [tv_2015.id, tv_2016.id]
    assert ids(year=2016) == [tv_2016.id]
    assert ids(season="spring", type="Movie") == [movie.id]
    # the scale stays global: the same anime keeps the same value under any filter
    unfiltered = dict((a, v) for a, v, _ in popular_compute(filters=CatalogFilter()).entries)
    filtered = dict((a, v) for a, v, _ in popular_compute(filters=CatalogFilter(years=(2016,))).entries)
    assert filtered[tv_2016.id] == unfiltered[tv_2016.id]
