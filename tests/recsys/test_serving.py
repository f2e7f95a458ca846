"""Serving building blocks: diversity, genre affinity, content similarity, vector packing, reasons."""

from __future__ import annotations

import numpy as np
import pytest

from animesite.process_cache import ProcessCache
from recsys.pipeline.contract import HistoryItem
from recsys.serving.content import index_build, jaccard_neighbours
from recsys.serving.popularity import PopularItem, diversify, genre_affinity
from recsys.serving.reasons import reason_because, reason_popular, reason_popular_in_genre, reason_text
from recsys.serving.store import HistoryStamp, pack_user_vector, unpack_user_vector


def test_diversify_spreads_genres_but_keeps_the_most_popular_first():
    # given: the five most popular are all action, then one romance
    items = [PopularItem(i, ("Action",)) for i in range(5)] + [PopularItem(5, ("Romance",))]
    # when
    picked = diversify(items, size=3)
    # then
    assert picked == [0, 5, 1]


def test_diversify_without_genres_is_popularity_order():
    items = [PopularItem(i, ()) for i in range(4)]
    assert diversify(items, size=4) == [0, 1, 2, 3]


def test_genre_affinity_weighs_scores_and_favourites():
    # given
    history = [
        HistoryItem(anime_id=1, score=10),  # mean (10 + 4) / 2 = 7: 1.4 + 0.1 x 3, capped at 1.5
        HistoryItem(anime_id=2, score=4),  # disliked: no weight
        HistoryItem(anime_id=3, is_favorite=True),  # unscored 0.7 x 2 for the favourite
    ]
    genres = {1: ["Romance", "Drama"], 2: ["Action"], 3: ["Romance"]}
    # when
    affinity = genre_affinity(history, genres)
    # then: the weights of recsys.preferences
    assert affinity == pytest.approx({"Romance": 2.9, "Drama": 1.5})


def test_jaccard_neighbours_by_hand():
    # given: features are ints; target {1, 2, 3}
    index = index_build(
        members={10: 5, 11: 50, 12: 7, 13: 1},
        genre_rows=[(10, 1), (11, 1), (12, 4), (13, 1)],
        tag_rows=[(10, 1), (11, 2), (11, 9), (13, 5)],
    )
    target = frozenset({2, 3, 4})  # genre 1 (2), tag 1 (3), genre 2 (4)
    # when
    result = jaccard_neighbours(target=target, index=index, k=3, exclude={13})
    # then: 10 = {2, 3}: 2/3; 11 = {2, 5, 19}: 1/5; 12 = {8}: shares nothing
    assert result == [(10, pytest.approx(2 / 3)), (11, pytest.approx(1 / 5))]


def test_jaccard_ties_go_to_the_more_followed_anime():
    index = index_build(members={1: 10, 2: 99}, genre_rows=[(1, 7), (2, 7)], tag_rows=[])
    assert [a for a, _ in jaccard_neighbours(target=frozenset({14}), index=index, k=5, exclude=set())] == [
        2,
        1,
    ]


def test_user_vector_packing_round_trips_as_float32():
    # given
    vector = [0.1, -2.5, 3.25]
    stamp = HistoryStamp(n_items=7, last_changed_us=1_700_000_000_123_456)
    # when
    raw = pack_user_vector(vector, stamp)
    got_stamp, got_vector = unpack_user_vector(raw)
    # then
    assert len(raw) == 12 + 3 * 4
    assert got_stamp == stamp
    np.testing.assert_allclose(got_vector, vector, rtol=1e-6)


@pytest.mark.parametrize(
    ("reason", "language", "text"),
    [
        (reason_because(anime_id=1, title="Clannad"), "en", "Because you liked Clannad"),
        (reason_because(anime_id=1, title="Clannad"), "zh-hans", "因为你喜欢 Clannad"),
        (reason_popular_in_genre(genre="Romance"), "en", "Popular in Romance"),
        (reason_popular_in_genre(genre="Romance"), "zh-hans", "Romance 类热门"),
        (reason_popular(), "en", "Popular right now"),
        (reason_popular(), "zh-hans", "当前热门"),
    ],
)
def test_reason_texts(reason, language, text):
    assert reason_text(reason, language=language) == text


def test_process_cache_expires():
    # given
    cache = ProcessCache()
    values = iter([1, 2])
    # when / then
    assert cache.get_or_set("k", 60, lambda: next(values)) == 1
    assert cache.get_or_set("k", 60, lambda: next(values)) == 1
    assert cache.get_or_set("other", -1, lambda: next(values)) == 2
