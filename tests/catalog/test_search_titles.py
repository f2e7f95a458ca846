"""The title stage of search (``catalog.search.titles``): the engine's title rules, in process."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.search import titles
from catalog.search.queries import SearchQuery, search_body, text_clauses
from catalog.search.typeahead import TitleIndex, cjk_tokenize


def build(*rows: tuple[int, list[str], int]) -> TitleIndex:
    """An index of ``(anime id, titles, members)`` rows; the first title is the main one."""
    anime = [
        {
            "id": anime_id,
            "mal_id": anime_id,
            "title": names[0],
            "title_en": "",
            "title_ja": "",
            "title_zh_hans": "",
            "title_zh_hant": "",
            "members": members,
            "type": "TV",
            "year": 2000,
            "cover_url": "",
        }
        for anime_id, names, members in rows
    ]
    extra = [
        (anime_id, text, "official", anime_id * 100 + n)
        for anime_id, names, _members in rows
        for n, text in enumerate(names[1:])
    ]
    return TitleIndex.build(generation="test", anime=anime, titles=extra)


@pytest.fixture
def index() -> TitleIndex:
    return build(
        (1, ["Shingeki no Kyojin", "Attack on Titan", "進撃の巨人", "进击的巨人"], 3_000_000),
        (2, ["Shingeki no Kyojin Season 2", "Attack on Titan Season 2", "进击的巨人 第二季"], 1_500_000),
        (3, ["Titan Attack Force"], 100),
        (4, ["Kimetsu no Yaiba", "鬼滅の刃"], 2_500_000),
        (5, ["Steins;Gate", "命运石之门"], 2_000_000),
    )


def test_latin_words_in_order_score_phrase_and_every_word(index):
    scores = titles.title_matches(index, "attack on titan")
    # phrase 4 + every word 2 + every word within the edit distance 1; two of three words (75%,
    # rounded down) match "Titan Attack Force" within the edit distance
    assert scores == {1: 7.0, 2: 7.0, 3: 0.667}
    # the words out of order: every word, not the phrase ("on" is in no title of anime 3)
    assert titles.title_matches(index, "titan attack") == {1: 3.0, 2: 3.0, 3: 7.0}


def test_prefixes_and_typos_match_like_the_engine_clauses(index):
    # an unfinished last word: every word (titles.prefix), no phrase, two words of three near
    assert titles.title_matches(index, "attack on tit") == {1: 2.667, 2: 2.667}
    # a typo: only the fuzzy clause, scored by the share of the words it matched
    assert titles.title_matches(index, "atack on titan") == {1: 1.0, 2: 1.0, 3: 0.667}
    # four words, three of them near a title word: 75% are enough
    assert titles.title_matches(index, "kimetsu no yaba zzz") == {4: 0.75}
    # one of two: not enough
    assert titles.title_matches(index, "kimetsu zzzz") == {}


def test_cjk_pairs_in_order_score_the_phrase_and_75_percent_of_them_the_words(index):
    assert titles.title_matches(index, "进击的巨人") == {1: 6.0, 2: 6.0}
    # traditional input folds to the simplified pairs
    assert titles.title_matches(index, "進擊的巨人") == {1: 6.0, 2: 6.0}
    # 3 of 4 pairs (75%): words without the phrase
    assert titles.title_matches(index, "进击的巨大") == {1: 2.0, 2: 2.0}
    # one character: every title holding it
    assert titles.title_matches(index, "鬼") == {4: 2.0}


def test_input_with_cjk_characters_uses_the_cjk_rules_only(index):
    # the season's title holds every pair; the first season 4 of 6 (75%)
    assert titles.title_matches(index, "进击的巨人 第二季") == {1: 2.0, 2: 6.0}
    assert cjk_tokenize("进击的巨人 season 2") == ["进击", "击的", "的巨", "巨人", "season", "2"]


def test_exact_titles_are_left_to_the_engine_lookup(index):
    # "Steins;Gate" and "SteinsGate" are the engine's title_keys lookup; the stage adds nothing
    assert titles.title_matches(index, "steinsgate") == {}
    assert titles.title_matches(index, "") == {}


def test_too_many_matches_leave_the_titles_to_the_engine(index, monkeypatch):
    monkeypatch.setattr(titles, "MAX_MATCHES", 1)
    assert titles.title_matches(index, "attack") is None


def clause_kinds(clauses: list[dict[str, Any]]) -> list[str]:
    out = []
    for clause in clauses:
        inner = clause.get("constant_score", {}).get("filter", clause)
        kind, spec = next(iter(inner.items()))
        out.append(f"{kind} {next(iter(spec))}")
    return out


def test_the_body_sends_title_matches_as_ids_lookups_by_score():
    clauses = text_clauses("attack on titan", title_matches={1: 7.0, 2: 7.0, 3: 3.0})
    assert clause_kinds(clauses) == ["terms title_keys", "ids values", "ids values", "match synopsis"]
    assert clauses[1] == {"constant_score": {"filter": {"ids": {"values": ["1", "2"]}}, "boost": 7.0}}
    assert clauses[2]["constant_score"]["boost"] == 3.0
    # CJK: the tags and, when asked, the Chinese synopses stay the engine's
    cjk = text_clauses("进击的巨人", synopsis_zh=True, title_matches={1: 6.0})
    assert clause_kinds(cjk) == ["terms title_keys", "ids values", "terms tags", "match synopsis_zh"]
    # nothing matched in the titles: the engine still looks up exact titles and synopses
    assert clause_kinds(text_clauses("walls", title_matches={})) == ["terms title_keys", "match synopsis"]


def test_the_body_keeps_filters_popularity_and_paging():
    body = search_body(SearchQuery(q="titan", offset=20, limit=20), title_matches={1: 2.0})
    assert body["query"]["function_score"]["query"]["bool"]["filter"] == [{"term": {"is_hidden": False}}]
    assert (body["from"], body["size"]) == (20, 20)
    assert "aggs" in body
