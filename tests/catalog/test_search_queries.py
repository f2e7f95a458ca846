"""The search request bodies and result shaping, without a server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalog.filters import CatalogFilter
from catalog.search.highlight import Highlighter
from catalog.search.normalize import compact, fold
from catalog.search.queries import (
    SearchQuery,
    has_latin,
    search_body,
    suggest_body,
    text_clauses,
)
from catalog.search.selectors import _label, _matched_title


def fields_of(clauses: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for clause in clauses:
        inner = clause.get("constant_score", {}).get("filter", clause)
        for spec in inner.values():
            found.update(spec)
    return found


def test_latin_input_searches_latin_fields_with_fuzziness():
    clauses = text_clauses("atack on titan")
    assert fields_of(clauses) == {"title_keys", "titles", "titles.prefix", "synopsis"}
    assert any(c.get("match", {}).get("titles", {}).get("fuzziness") == "AUTO" for c in clauses)


def test_cjk_input_searches_cjk_fields_without_fuzziness():
    clauses = text_clauses("进击的巨人")
    assert fields_of(clauses) == {"title_keys", "titles_cjk", "tags"}
    # the Chinese synopses only when asked (a search that found nothing in the titles)
    assert "synopsis_zh" in fields_of(text_clauses("进击的巨人", synopsis_zh=True))
    # one character: the single-character grams
    assert "titles_cjk.gram" in fields_of(text_clauses("進"))
    assert "fuzziness" not in json.dumps(clauses)


def test_mixed_script_input_searches_both():
    assert {"titles", "titles_cjk"} <= fields_of(text_clauses("進撃の巨人 season 2"))
    assert has_latin("進撃の巨人 2") is True
    assert has_latin("進撃の巨人。") is False


@pytest.mark.parametrize("q", ["title:(a OR b)", "*:*", 'a~2^3 "x"', "\\/"])
def test_user_input_is_never_parsed_as_query_syntax(q):
    for body in (search_body(SearchQuery(q=q)), suggest_body(q)):
        dumped = json.dumps(body)
        assert "query_string" not in dumped
        assert "simple_query_string" not in dumped
        assert "wildcard" not in dumped
        assert "regexp" not in dumped


def test_relevance_blends_text_with_popularity():
    body = search_body(SearchQuery(q="titan"))
    scoring = body["query"]["function_score"]
    assert scoring["boost_mode"] == "multiply"
    assert scoring["functions"][1]["field_value_factor"] == {
        "field": "members",
        "modifier": "log1p",
        "missing": 0,
    }
    assert scoring["query"]["bool"]["filter"] == [{"term": {"is_hidden": False}}]
    assert body["sort"][0] == "_score"
    # highlights are marked here for the page (catalog.search.highlight), not by the engine
    assert "highlight" not in body


def test_no_words_lists_by_popularity_without_scoring_or_highlights():
    body = search_body(SearchQuery(q="", filters=CatalogFilter(types=("TV",))))
    assert "function_score" not in body["query"]
    assert body["sort"][0] == {"members": {"order": "desc"}}
    assert "highlight" not in body


def test_staff_queries_may_include_hidden_anime():
    body = search_body(SearchQuery(q="x", include_hidden=True))
    assert body["query"]["function_score"]["query"]["bool"]["filter"] == []


def test_each_facet_counts_with_the_other_filters_only():
    filters = CatalogFilter(genres=("action", "drama"), types=("TV",), years=(2013,), seasons=("spring",))
    body = search_body(SearchQuery(q="x", filters=filters))
    assert body["post_filter"]["bool"]["filter"] == [
        {"term": {"genres": "action"}},
        {"term": {"genres": "drama"}},
        {"terms": {"type": ["TV"]}},
        {"terms": {"year": [2013]}},
        {"terms": {"season": ["spring"]}},
    ]
    type_facet = body["aggs"]["type"]
    assert {"terms": {"type": ["TV"]}} not in type_facet["filter"]["bool"]["filter"]
    assert {"term": {"genres": "action"}} in type_facet["filter"]["bool"]["filter"]
    genre_facet = body["aggs"]["genre"]["filter"]["bool"]["filter"]
    assert {"term": {"genres": "action"}} not in genre_facet
    assert body["aggs"]["genre"]["aggs"]["values"]["terms"]["field"] == "genres"


def test_a_facet_without_other_filters_is_a_plain_terms_aggregation():
    assert search_body(SearchQuery(q="x"))["aggs"]["type"] == {"terms": {"field": "type", "size": 20}}
    aggs = search_body(SearchQuery(q="x", filters=CatalogFilter(types=("TV",))))["aggs"]
    # the type facet counts without the type filter: nothing else to apply
    assert aggs["type"] == {"terms": {"field": "type", "size": 20}}
    assert aggs["year"]["filter"] == {"bool": {"filter": [{"terms": {"type": ["TV"]}}]}}


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("score", {"score": {"order": "desc", "missing": "_last"}}),
        ("year", {"year": {"order": "desc", "missing": "_last"}}),
        ("members", {"members": {"order": "desc"}}),
    ],
)
def test_sorts(sort, first):
    assert search_body(SearchQuery(q="x", sort=sort))["sort"][0] == first


def test_pages_map_to_from_and_size():
    body = search_body(SearchQuery(q="x", offset=40, limit=20))
    assert (body["from"], body["size"], body["track_total_hits"]) == (40, 20, True)


def test_suggest_returns_eight_visible_titles_with_stored_fields():
    body = suggest_body("shin")
    assert body["size"] == 8
    assert body["query"]["function_score"]["query"]["bool"]["filter"] == [{"term": {"is_hidden": False}}]
    assert "display" in body["_source"]
    assert "titles.prefix" in fields_of(body["query"]["function_score"]["query"]["bool"]["should"])
    assert "titles_cjk.gram" in fields_of(
        suggest_body("進")["query"]["function_score"]["query"]["bool"]["should"]
    )


def test_highlights_mark_query_words_in_any_script_and_escape_html():
    assert Highlighter("atack titan").titles(["Attack on Titan", "Kimetsu"]) == [
        "<em>Attack</em> on <em>Titan</em>"
    ]
    # a simplified query marks the traditional and the Japanese forms
    assert Highlighter("进击的巨人").titles(["進撃の巨人"]) == ["<em>進撃</em>の<em>巨人</em>"]
    assert Highlighter("jerry").titles(["Tom & Jerry <Kids>"]) == ["Tom &amp; <em>Jerry</em> &lt;Kids&gt;"]
    assert Highlighter("steinsgate").titles(["Steins;Gate"]) == ["<em>Steins;Gate</em>"]
    long_text = "Once upon a time " * 20 + "the titans came over the walls. " + "Then more. " * 20
    fragment = Highlighter("walls").fragment(long_text)
    assert fragment is not None and "<em>walls</em>" in fragment and len(fragment) < 200
    assert Highlighter("walls").fragment("nothing here") is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("命運石之門", "命运石之门"),  # traditional / simplified Chinese
        ("進撃の巨人", "進擊の巨人"),  # Japanese shinjitai / kyujitai
        ("\uff33\uff34\uff25\uff29\uff2e\uff33\uff1b\uff27\uff21\uff34\uff25", "steins;gate"),  # full width
        ("Pokémon", "pokemon"),
        ("ｼﾝｹﾞｷ", "シンゲキ"),  # half-width katakana
    ],
)
def test_fold_makes_script_width_case_and_accent_variants_equal(a, b):
    assert fold(a) == fold(b)


@pytest.mark.parametrize("text", ["Steins;Gate", "SteinsGate", "Steins Gate", "steins・gate"])
def test_compact_drops_spaces_and_punctuation(text):
    assert compact(text) == "steinsgate"


def test_title_keys_clause_holds_the_folded_and_the_compact_input():
    clause = text_clauses("Shingeki no Kyojin")[0]
    assert clause["constant_score"]["filter"] == {
        "terms": {"title_keys": ["shingeki no kyojin", "shingekinokyojin"]}
    }
    assert text_clauses("命運石之門")[0]["constant_score"]["filter"] == {
        "terms": {"title_keys": ["命运石之门"]}
    }


def test_facets_only_when_asked():
    assert "aggs" not in search_body(SearchQuery(q="x"), facets=False)
    assert "aggs" in search_body(SearchQuery(q="x"))


def test_suggestion_labels_follow_the_reader_language():
    display = {
        "main": "Shingeki no Kyojin",
        "en": "Attack on Titan",
        "ja": "進撃の巨人",
        "zh_hans": "",
        "zh_hant": "",
    }
    assert _label(display, "en") == "Attack on Titan"
    assert _label(display, "zh-hans") == "進撃の巨人"  # no Chinese title: the Japanese one
    assert _label({**display, "zh_hans": "进击的巨人"}, "zh-hans") == "进击的巨人"
    assert _label({"main": "Trigun"}, "zh-hans") == "Trigun"


def test_matched_title_prefers_a_prefix_then_a_substring():
    titles = ["Shingeki no Kyojin", "Attack on Titan", "進撃の巨人"]
    assert _matched_title("atta", titles) == "Attack on Titan"
    assert _matched_title("kyo", titles) == "Shingeki no Kyojin"
    assert _matched_title("巨人", titles) == "進撃の巨人"
    assert _matched_title("zzz", titles) == "Shingeki no Kyojin"
