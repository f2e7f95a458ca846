"""The content channel for new anime: features, taste scores, filters and reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from catalog.models import Franchise
from recsys.pipeline.content import (
    ContentDoc,
    ContentWeights,
    content_model_build,
    similarities,
    synopsis_terms,
    taste_scores,
)
from recsys.pipeline.content_eval import evaluate_cold_items, hidden_split, without_genres
from recsys.pipeline.contract import HistoryItem
from recsys.serving.new_anime import new_anime_for_user
from tests.factories import AnimeFactory, GenreFactory, TagFactory


def test_synopsis_terms_are_english_words_and_chinese_bigrams():
    assert synopsis_terms("The Giant robots, 巨大机器人!") == [
        "the",
        "giant",
        "robots",
        "巨大",
        "大机",
        "机器",
        "器人",
    ]


def _docs() -> list[ContentDoc]:
    mecha = ("Mecha", "Sci-Fi")
    return [
        ContentDoc(1, genres=mecha, tags=("space",), synopsis="pilots fight in giant robots"),
        ContentDoc(2, genres=mecha, tags=("space",), synopsis="a war of giant robots in space"),
        ContentDoc(3, genres=("Romance",), tags=("school",), synopsis="a love story at school"),
        ContentDoc(4, genres=mecha, tags=("space",), synopsis="young pilots and giant robots"),
        ContentDoc(5, genres=("Romance",), tags=("school",), synopsis="first love at a school festival"),
        ContentDoc(6, genres=("Sports",), franchise="f9", synopsis="a volleyball team"),
        ContentDoc(7, genres=("Sports",), franchise="f9", synopsis="the volleyball team returns"),
    ]


def test_a_new_anime_like_the_liked_ones_ranks_first_and_cites_the_closest():
    model = content_model_build(_docs())
    matrix = model.matrix(ContentWeights())
    candidates = model.rows([4, 5])  # a mecha show and a romance show, both new
    seeds = model.rows([1, 2])  # the user liked two mecha shows
    scores, best = taste_scores(similarities(matrix, candidates, seeds), [1.0, 1.2], gamma=0.5)
    assert scores[0] > scores[1]
    assert scores[1] == pytest.approx(0.0)
    assert best[0] in (0, 1)


def test_the_franchise_block_brings_a_new_season_close_to_the_earlier_one():
    model = content_model_build(_docs())
    with_franchise = similarities(
        model.matrix(ContentWeights(franchise=4.0)), model.rows([7]), model.rows([6])
    )
    without = similarities(model.matrix(ContentWeights(franchise=0.0)), model.rows([7]), model.rows([6]))
    assert with_franchise[0, 0] > without[0, 0] > 0


def test_the_hidden_split_is_seeded_and_halved():
    val, test = hidden_split(100, seed=3)
    again = hidden_split(100, seed=3)
    assert np.array_equal(val, again[0]) and np.array_equal(test, again[1])
    assert val.size == 5 and test.size == 5 and not set(val) & set(test)


def _two_kinds(docs: list[ContentDoc]) -> dict[str, Any]:
    """``evaluate_cold_items`` arguments: 80 anime of two kinds (0-39, 40-79), 60 users who each
    like one kind only, the second kind far more popular."""
    users = [u for u in range(60) for _ in range(40)]
    items = [i for u in range(60) for i in (range(0, 40) if u % 2 == 0 else range(40, 80))]
    n = len(users)
    return dict(
        model=content_model_build(docs),
        item_anime_ids=np.arange(80, dtype=np.int64),
        user=np.array(users, dtype=np.int32),
        item=np.array(items, dtype=np.int32),
        liked=np.ones(n, dtype=bool),
        weight=np.ones(n, dtype=np.float32),
        popularity=np.array([1000.0 if i >= 40 else 10.0 for i in range(80)]),
        seed=1,
        max_users=50,
    )


def test_the_cold_items_evaluation_finds_hidden_anime_by_content():
    # 40 mecha and 40 romance anime; users like one kind only; hidden anime are found by content
    # (their own kind), which popularity (favouring the other kind) cannot do
    docs = [
        ContentDoc(i, genres=("Mecha",) if i < 40 else ("Romance",), synopsis="robots" if i < 40 else "love")
        for i in range(80)
    ]
    result = evaluate_cold_items(**_two_kinds(docs))
    # every hidden anime of the user's kind comes before the other kind's (4 test anime: all in
    # the top 20, so the order tells)
    assert result["test"]["content"]["ndcg@20"] == pytest.approx(1.0)
    assert result["test"]["popularity"]["ndcg@20"] < 0.9
    assert result["test_all_items"]["content"]["hit_rate@20"] == pytest.approx(1.0)


def test_without_genres_keeps_them_on_the_given_share_of_the_rows_only():
    docs = [ContentDoc(i, genres=("Mecha",), tags=("space",)) for i in range(40)]
    model = content_model_build(docs)
    rows = np.arange(0, 40, 2, dtype=np.int64)  # 20 rows

    changed = without_genres(model, rows, keep=0.25, seed=7)

    has_genres = changed.blocks["genres"].getnnz(axis=1) > 0
    assert has_genres[rows].sum() == 5  # a quarter of the given rows keep their genres
    assert has_genres[1::2].all()  # the other rows are untouched
    assert (changed.blocks["tags"] != model.blocks["tags"]).nnz == 0
    assert np.array_equal(
        without_genres(model, rows, keep=0.25, seed=7).blocks["genres"].indptr,
        changed.blocks["genres"].indptr,
    )  # seeded


def test_the_as_served_split_tunes_every_served_weight_and_refuses_a_mixed_request():
    docs = [
        ContentDoc(
            i, genres=("Mecha",) if i < 40 else ("Romance",), tags=("space",) if i < 40 else ("school",)
        )
        for i in range(80)
    ]
    args = _two_kinds(docs)
    start = ContentWeights(genres=0.25, tags=1.0, franchise=1.0, synopsis=1.0, gamma=0.25)

    result = evaluate_cold_items(**args, genre_share=0.1, served_start=start)

    assert result["protocol"]["genre_share"] == 0.1
    tuned = {
        name
        for row in result["tried"]
        for name in ("genres", "franchise", "synopsis", "gamma")
        if row[name] != getattr(start, name)
    }
    assert tuned == {"genres", "franchise", "synopsis", "gamma"}
    assert all(row["tags"] == 1.0 for row in result["tried"])  # tags fixed: only ratios matter
    assert result["test"]["content"]["ndcg@20"] > result["test"]["popularity"]["ndcg@20"]
    with pytest.raises(ValueError, match="two different splits"):
        evaluate_cold_items(**args, as_new=True, genre_share=0.1)


# --- serving, on the real database ------------------------------------------------------------


def _history(*entries: tuple[int, int | None, str]) -> list[HistoryItem]:
    return [
        HistoryItem(anime_id=a, score=s, timestamp=None, is_favorite=False, status=st) for a, s, st in entries
    ]


@pytest.fixture
def catalogue(db):
    """Old anime the model knows and new ones (aired this year) it does not."""
    mecha, romance, sports = (GenreFactory.create(name=n) for n in ("Mecha", "Romance", "Sports"))
    space, school = TagFactory.create(name="space"), TagFactory.create(name="school")
    volley = Franchise.objects.create(key="volley")
    recent = dt.date.today() - dt.timedelta(days=30)
    old = {
        "robots": AnimeFactory.create(title="Robot War", genres=[mecha], synopsis="giant robots in space"),
        "pilots": AnimeFactory.create(title="Pilot Days", genres=[mecha], synopsis="pilots of giant robots"),
        "love": AnimeFactory.create(title="Love Letter", genres=[romance], synopsis="a love story at school"),
        "volley": AnimeFactory.create(title="Volley Boys", genres=[sports], franchise=volley),
    }
    new = {
        "robots": AnimeFactory.create(
            title="Robot War Zero",
            genres=[mecha],
            synopsis="giant robots again",
            aired_from=recent,
            year=recent.year,
        ),
        "love": AnimeFactory.create(
            title="Love Song", genres=[romance], synopsis="a love story", aired_from=recent, year=recent.year
        ),
        "volley": AnimeFactory.create(
            title="Volley Boys Final", genres=[sports], franchise=volley, aired_from=recent, year=recent.year
        ),
    }
    old["robots"].tags.set([space])
    new["robots"].tags.set([space])
    old["love"].tags.set([school])
    new["love"].tags.set([school])
    return {"old": old, "new": new, "known": [a.id for a in old.values()]}


def _picks(catalogue, history, *, not_interested=()):
    avoided = {h.anime_id for h in history if (h.score is not None and h.score <= 4)} | set(not_interested)
    return new_anime_for_user(
        history=history,
        version="v1",
        known=catalogue["known"],
        exclude={h.anime_id for h in history} | set(not_interested),
        avoided=avoided,
        limit=5,
    )


def test_a_new_anime_of_liked_genres_is_picked_citing_a_liked_anime_never_a_planned_one(catalogue):
    old, new = catalogue["old"], catalogue["new"]
    history = _history((old["robots"].id, 9, "completed"), (old["love"].id, None, "want_to_watch"))
    picks = _picks(catalogue, history)
    assert picks[0].anime_id == new["robots"].id
    assert picks[0].because == old["robots"].id
    assert all(p.because == old["robots"].id for p in picks)  # the plan-to-watch entry is no reason
    assert picks[0].airing is True


def test_a_disliked_franchise_new_entry_is_left_out(catalogue):
    old, new = catalogue["old"], catalogue["new"]
    liked_and_hated = _history((old["robots"].id, 9, "completed"), (old["volley"].id, 2, "completed"))
    picks = _picks(catalogue, liked_and_hated)
    assert new["volley"].id not in {p.anime_id for p in picks}
    assert picks and {p.because for p in picks} == {old["robots"].id}  # never the disliked one
    # the same franchise is offered to a fan of it
    fan = _history((old["volley"].id, 10, "completed"))
    assert [p.anime_id for p in _picks(catalogue, fan)] == [new["volley"].id]


def test_not_interested_covers_the_franchise(catalogue):
    old, new = catalogue["old"], catalogue["new"]
    fan = _history((old["volley"].id, 10, "completed"), (old["robots"].id, 8, "completed"))
    picks = _picks(catalogue, fan, not_interested=[old["volley"].id])
    assert new["volley"].id not in {p.anime_id for p in picks}
    assert new["robots"].id in {p.anime_id for p in picks}


def test_no_liked_anime_no_new_anime(catalogue):
    old = catalogue["old"]
    history = _history((old["robots"].id, None, "want_to_watch"), (old["love"].id, 3, "completed"))
    assert _picks(catalogue, history) == []


def test_evaluate_recsys_cold_items_refuses_two_splits_at_once():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="two different splits"):
        call_command("evaluate_recsys", "--cold-items", "--as-new", "--as-served")
    with pytest.raises(CommandError, match="must be positive"):
        call_command("evaluate_recsys", "--cold-items", "--as-served", "--max-users", "0")


def test_the_genre_share_of_new_anime_reads_genres_the_served_model_leaves_out(catalogue):
    from recsys.serving.new_anime import content_docs, new_anime_genre_share

    recent = dt.date.today() - dt.timedelta(days=10)
    AnimeFactory.create(title="No Genre Yet", synopsis="a new story", aired_from=recent, year=recent.year)

    share = new_anime_genre_share(content_model_build(content_docs(visible_only=False)))

    assert share == pytest.approx(3 / 4)  # three of the four new anime have genres
