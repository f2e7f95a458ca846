"""GET /api/search/ and /api/search/suggest/ against the real search server (a test-only index)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, cast

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import Anime, AnimeTitle, Tag
from catalog.search import titles, typeahead
from catalog.search.indexing import delete_index, rebuild_index
from tests.factories import AnimeFactory, GenreFactory, TagFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.search]


def make_anime(**fields: Any) -> Anime:
    return cast(Anime, AnimeFactory(**fields))


def make_user(**fields: Any) -> User:
    return cast(User, UserFactory(**fields))


SEARCH = "/api/search/"
SUGGEST = "/api/search/suggest/"


def add_titles(anime: Anime, **by_language: str | list[str]) -> None:
    for language, texts in by_language.items():
        for text in [texts] if isinstance(texts, str) else texts:
            AnimeTitle.objects.create(
                anime=anime, text=text, language=language.replace("_", "-"), kind=AnimeTitle.Kind.OFFICIAL
            )


@pytest.fixture
def catalogue() -> dict[str, Anime]:
    action = GenreFactory(name="Action", slug="action")
    drama = GenreFactory(name="Drama", slug="drama")
    fantasy = GenreFactory(name="Fantasy", slug="fantasy")
    comedy = GenreFactory(name="Comedy", slug="comedy")
    aot = make_anime(
        title="Shingeki no Kyojin",
        title_en="Attack on Titan",
        title_ja="進撃の巨人",
        title_zh_hans="进击的巨人",
        title_zh_hant="進擊的巨人",
        members=3_000_000,
        score=8.5,
        year=2013,
        season=Anime.Season.SPRING,
        synopsis="Humanity hides behind walls from giant titans.",
        synopsis_zh="人类躲在墙后躲避吃人的巨人。",
        genres=[action, drama],
    )
    add_titles(
        aot, en="Attack on Titan", ja="進撃の巨人", zh_Hans="进击的巨人", zh_Hant="進擊的巨人", und="AoT"
    )
    aot.tags.add(cast(Tag, TagFactory(name="热血")))
    aot2 = make_anime(
        title="Shingeki no Kyojin Season 2",
        title_en="Attack on Titan Season 2",
        title_ja="進撃の巨人 Season2",
        members=1_500_000,
        score=8.4,
        year=2017,
        season=Anime.Season.SPRING,
        genres=[action, drama],
    )
    add_titles(aot2, en="Attack on Titan Season 2", ja="進撃の巨人 Season2", zh_Hans="进击的巨人 第二季")
    drama_cd = make_anime(
        title="Shingeki no Kyojin Picture Drama",
        title_en="Attack on Titan Picture Drama",
        type=Anime.Type.SPECIAL,
        members=300,
        score=6.9,
        year=2013,
        season=Anime.Season.SUMMER,
        genres=[comedy],
    )
    kimetsu = make_anime(
        title="Kimetsu no Yaiba",
        title_en="Demon Slayer: Kimetsu no Yaiba",
        title_ja="鬼滅の刃",
        title_zh_hans="鬼灭之刃",
        members=2_500_000,
        score=8.6,
        year=2019,
        season=Anime.Season.SPRING,
        genres=[action, fantasy],
    )
    add_titles(kimetsu, en="Demon Slayer: Kimetsu no Yaiba", ja="鬼滅の刃", zh_Hans="鬼灭之刃")
    kimetsu_movie = make_anime(
        title="Kimetsu no Yaiba Movie: Mugen Ressha-hen",
        title_en="Demon Slayer: Mugen Train",
        type=Anime.Type.MOVIE,
        members=1_000_000,
        score=8.8,
        year=2020,
        season=Anime.Season.FALL,
        genres=[action, fantasy],
    )
    monster = make_anime(title="Monster", members=100_000, score=8.7, year=2004, genres=[drama])
    monster_musume = make_anime(
        title="Monster Musume no Iru Nichijou", title_en="Monster Musume", members=900_000, score=6.9
    )
    pokemon = make_anime(
        title="Pocket Monsters", title_en="Pokémon", members=500_000, score=7.4, year=1997, genres=[comedy]
    )
    add_titles(pokemon, en="Pokémon")
    rezero = make_anime(title="Re:Zero kara Hajimeru Isekai Seikatsu", members=1_200_000, score=8.2)
    fate = make_anime(title="Fate/Zero", members=1_000_000, score=8.3, year=2011)
    markup = make_anime(title="Tom & Jerry <Kids>", members=50, score=None, year=1990)
    hidden = make_anime(title="Secret Titan Project", members=5_000_000, is_hidden=True, year=2013)
    return {
        "aot": aot,
        "aot2": aot2,
        "drama_cd": drama_cd,
        "kimetsu": kimetsu,
        "kimetsu_movie": kimetsu_movie,
        "monster": monster,
        "monster_musume": monster_musume,
        "pokemon": pokemon,
        "rezero": rezero,
        "fate": fate,
        "markup": markup,
        "hidden": hidden,
    }


@pytest.fixture
def indexed(catalogue: dict[str, Anime], settings) -> Iterator[dict[str, Anime]]:
    delete_index()
    rebuild_index(progress=False)
    # Autocomplete answers from the process's title index, built now from the same rows.
    settings.SEARCH_TYPEAHEAD_ENABLED = True
    typeahead.refresh(wait=True)
    yield catalogue
    delete_index()


def search(client: APIClient, headers: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    response = client.get(SEARCH, params, **(headers or {}))
    assert response.status_code == 200, response.content
    return response.json()


def ids(body: dict[str, Any]) -> list[int]:
    return [r["id"] for r in body["results"]]


# --- finding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "Shingeki no Kyojin",
        "shingeki no kyojin",
        "Attack on Titan",
        "進撃の巨人",
        "进击的巨人",
        "進擊的巨人",
        "AoT",
    ],
)
def test_every_script_and_synonym_finds_the_anime_first(api_client, indexed, q):
    # given the catalogue indexed; when searching one of the titles
    body = search(api_client, q=q)
    # then that anime comes first, and the answer came from the search server
    assert ids(body)[0] == indexed["aot"].id
    assert body["degraded"] is False


def test_typos_in_latin_titles_still_find_the_anime(api_client, indexed):
    assert ids(search(api_client, q="atack on titan"))[0] == indexed["aot"].id
    assert ids(search(api_client, q="kimetsu no yaba"))[0] == indexed["kimetsu"].id


def test_a_prefix_finds_the_anime(api_client, indexed):
    body = search(api_client, q="kimet")
    assert set(ids(body)[:2]) == {indexed["kimetsu"].id, indexed["kimetsu_movie"].id}


def test_ascii_folding_matches_accented_titles(api_client, indexed):
    assert ids(search(api_client, q="pokemon"))[0] == indexed["pokemon"].id


def test_well_known_title_beats_an_obscure_one_with_the_same_words(api_client, indexed):
    ranked = ids(search(api_client, q="titan"))
    assert ranked.index(indexed["aot"].id) < ranked.index(indexed["drama_cd"].id)


def test_exact_title_beats_a_more_popular_title_that_contains_it(api_client, indexed):
    ranked = ids(search(api_client, q="Monster"))
    assert ranked[0] == indexed["monster"].id
    assert indexed["monster_musume"].id in ranked


def test_sequel_title_finds_the_sequel_first(api_client, indexed):
    assert ids(search(api_client, q="attack on titan season 2"))[0] == indexed["aot2"].id
    assert ids(search(api_client, q="Attack on Titan"))[0] == indexed["aot"].id


def test_results_use_the_card_shape_in_the_request_language(api_client, indexed):
    result = search(api_client, {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, q="kimetsu no yaiba")["results"][0]
    assert result["id"] == indexed["kimetsu"].id
    assert result["title"] == "鬼灭之刃"
    assert result["mal_id"] == indexed["kimetsu"].mal_id
    assert result["genres"] == ["Action", "Fantasy"]
    assert {"cover_url", "type", "year", "season", "score", "members", "titles", "highlight"} <= set(result)


def test_accept_language_header_labels_results(api_client, indexed):
    response = api_client.get(SEARCH, {"q": "kimetsu no yaiba"}, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert response.json()["results"][0]["title"] == "鬼灭之刃"
    response = api_client.get(SEARCH, {"q": "kimetsu no yaiba"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["results"][0]["title"] == "Demon Slayer: Kimetsu no Yaiba"


# --- filters, facets, sort, pages ----------------------------------------------------------------


def test_filters_narrow_the_results(api_client, indexed):
    assert ids(search(api_client, q="kimetsu", type="movie")) == [indexed["kimetsu_movie"].id]
    assert ids(search(api_client, q="kimetsu", year="2019")) == [indexed["kimetsu"].id]
    assert ids(search(api_client, q="titan", season="summer")) == [indexed["drama_cd"].id]
    assert set(ids(search(api_client, q="titan", genre="drama"))) == {indexed["aot"].id, indexed["aot2"].id}
    # genres: all must match; type/year/season: any may match
    assert ids(search(api_client, q="shingeki", genre="action,drama", year="2013,2019")) == [
        indexed["aot"].id
    ]
    assert set(ids(search(api_client, genre="Fantasy", type="TV,Movie"))) == {
        indexed["kimetsu"].id,
        indexed["kimetsu_movie"].id,
    }


def test_facets_count_each_value_with_the_other_filters_applied(api_client, indexed):
    body = search(api_client, q="kimetsu", type="Movie")
    facets = body["facets"]
    # the type facet ignores the type filter: the TV series is still counted
    assert {(b["value"], b["count"]) for b in facets["type"]} == {("TV", 1), ("Movie", 1)}
    # the other facets count only movies
    assert {(b["value"], b["name"], b["count"]) for b in facets["genre"]} == {
        ("action", "Action", 1),
        ("fantasy", "Fantasy", 1),
    }
    assert [(b["value"], b["count"]) for b in facets["year"]] == [(2020, 1)]
    assert body["count"] == 1


def test_facets_over_a_wider_query(api_client, indexed):
    facets = search(api_client, q="titan")["facets"]
    assert {(b["value"], b["count"]) for b in facets["year"]} == {(2013, 2), (2017, 1)}
    assert [b["value"] for b in facets["year"]] == [2017, 2013]  # newest first
    genre_counts = {b["value"]: b["count"] for b in facets["genre"]}
    assert genre_counts == {"action": 2, "drama": 2, "comedy": 1}


def test_sort_orders(api_client, indexed):
    by_score = search(api_client, genre="action", sort="score")["results"]
    assert [r["score"] for r in by_score] == sorted((r["score"] for r in by_score), reverse=True)
    by_year = search(api_client, genre="action", sort="year")["results"]
    assert [r["year"] for r in by_year] == [2020, 2019, 2017, 2013]
    by_members = search(api_client, q="titan", sort="members")["results"]
    assert [r["id"] for r in by_members] == [indexed["aot"].id, indexed["aot2"].id, indexed["drama_cd"].id]


def test_empty_query_with_filters_lists_by_popularity(api_client, indexed):
    body = search(api_client, genre="action")
    assert ids(body) == [
        indexed["aot"].id,
        indexed["kimetsu"].id,
        indexed["aot2"].id,
        indexed["kimetsu_movie"].id,
    ]
    assert all(r["highlight"] == {} for r in body["results"])


def test_pages(api_client, indexed):
    first = search(api_client, genre="action", page_size=3)
    assert first["count"] == 4
    assert len(first["results"]) == 3
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = api_client.get(first["next"]).json()
    assert ids(second) == [indexed["kimetsu_movie"].id]
    assert second["next"] is None
    assert second["previous"] is not None
    assert "page=" not in second["previous"]
    beyond = api_client.get(SEARCH, {"genre": "action", "page": 3, "page_size": 3})
    assert beyond.status_code == 404
    assert beyond.json()["code"] == "not_found"


def test_paging_never_offers_a_page_past_the_window(api_client, indexed, monkeypatch):
    # given an engine that pages through the first 3 hits only (10,000 on the real catalogue)
    monkeypatch.setattr("catalog.search.apis.MAX_RESULT_WINDOW", 3)
    # when paging 4 matches 2 by 2
    first = search(api_client, genre="action", page_size=2)
    # then count is what can be paged through, total what matches
    assert (first["count"], first["total"]) == (3, 4)
    second = api_client.get(first["next"]).json()
    # the last page by count answers and offers no next page
    assert len(second["results"]) == 1
    assert second["next"] is None
    beyond = api_client.get(SEARCH, {"genre": "action", "page": 3, "page_size": 2})
    assert beyond.status_code == 404
    assert "first 3 results" in beyond.json()["message"]


@pytest.mark.parametrize(
    "q",
    [
        "Shingeki no Kyojin",
        "attack on titan",
        "atack on titan",
        "kimet",
        "titan",
        "monster",
        "进击的巨人",
        "進撃の巨人 Season2",
        "鬼",
        "walls",
        "SteinsGate",
    ],
)
def test_titles_matched_in_the_process_rank_as_the_engine_ranks_them(
    api_client, indexed, settings, monkeypatch, q
):
    # given the title index built: searches match titles in the process (catalog.search.titles)
    asked: list[str] = []
    real = titles.title_matches
    monkeypatch.setattr(titles, "title_matches", lambda index, text: asked.append(text) or real(index, text))
    in_process = search(api_client, q=q)
    assert asked == [q]
    # when the engine matches the titles itself instead
    settings.SEARCH_TITLE_STAGE = False
    by_engine = search(api_client, q=q)
    # then the same anime come in the same order, counted and faceted alike
    assert asked == [q]
    assert ids(in_process) == ids(by_engine)
    assert (in_process["count"], in_process["facets"]) == (by_engine["count"], by_engine["facets"])
    assert in_process["degraded"] is by_engine["degraded"] is False


def test_facets_are_skipped_when_not_asked_for(api_client, indexed):
    body = search(api_client, q="titan", facets="false")
    assert body["facets"] == {"genre": [], "type": [], "year": [], "season": []}
    assert ids(body)[0] == indexed["aot"].id
    assert search(api_client, q="titan")["facets"]["year"]


# --- highlights ----------------------------------------------------------------------------------


def test_highlights_mark_the_matched_words(api_client, indexed):
    result = search(api_client, q="titan")["results"][0]
    assert result["id"] == indexed["aot"].id
    assert "Attack on <em>Titan</em>" in result["highlight"]["titles"]
    cjk = search(api_client, q="巨人")["results"][0]
    assert "進撃の<em>巨人</em>" in cjk["highlight"]["titles"]
    synopsis = search(api_client, q="walls")["results"][0]
    assert synopsis["highlight"]["synopsis"] == ["Humanity hides behind <em>walls</em> from giant titans."]


def test_highlights_escape_html(api_client, indexed):
    result = search(api_client, q="jerry")["results"][0]
    assert result["id"] == indexed["markup"].id
    assert result["highlight"]["titles"] == ["Tom &amp; <em>Jerry</em> &lt;Kids&gt;"]


# --- hidden anime --------------------------------------------------------------------------------


def test_hidden_anime_never_reach_visitors(api_client, user_client, indexed):
    hidden_id = indexed["hidden"].id
    assert hidden_id not in ids(search(api_client, q="titan"))
    assert hidden_id not in ids(search(api_client, q="secret titan project", include_hidden="true"))
    assert hidden_id not in ids(search(user_client, q="secret titan project", include_hidden="true"))
    assert hidden_id not in [s["id"] for s in api_client.get(SUGGEST, {"q": "secret"}).json()["results"]]
    assert all(b["count"] < 3 for b in search(api_client, year="2013")["facets"]["year"])


def test_staff_see_hidden_anime_flagged_when_they_ask(indexed):
    staff = APIClient()
    staff.force_login(make_user(username="operator", is_staff=True))
    assert indexed["hidden"].id not in ids(search(staff, q="secret titan project"))
    results = search(staff, q="secret titan project", include_hidden="true")["results"]
    assert results[0]["id"] == indexed["hidden"].id
    assert results[0]["is_hidden"] is True
    assert all(r["is_hidden"] is False for r in results[1:])


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "a" * 201}, "q"),
        ({"q": "titan", "genre": "action,no-such-genre"}, "genre"),
        ({"q": "titan", "type": "Cartoon"}, "type"),
        ({"q": "titan", "year": "twenty"}, "year"),
        ({"q": "titan", "year": "1800"}, "year"),
        ({"q": "titan", "season": "monsoon"}, "season"),
        ({"q": "titan", "sort": "random"}, "sort"),
        ({"q": "titan", "page": "0"}, "page"),
        ({"q": "titan", "page": "two"}, "page"),
        ({"q": "titan", "page_size": "1000"}, "page_size"),
        ({"q": "titan", "page_size": ""}, "page_size"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(api_client, catalogue, params, field):
    response = api_client.get(SEARCH, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["extra"]["fields"]) == [field]


def test_a_200_character_query_is_accepted(api_client, indexed):
    assert api_client.get(SEARCH, {"q": "titan " + "a" * 194}).status_code == 200


def test_unknown_genre_message_names_the_value(api_client, catalogue):
    body = api_client.get(SEARCH, {"q": "x", "genre": "nope"}).json()
    assert "nope" in body["extra"]["fields"]["genre"][0]


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "(",
        ")",
        ":",
        "*",
        "~",
        "^",
        "\\",
        "/",
        "*:*",
        "title:(a OR b)",
        '"unclosed',
        "a~2^3",
        "OR AND NOT",
    ],
)
def test_lucene_syntax_is_searched_as_text(api_client, indexed, q):
    response = api_client.get(SEARCH, {"q": q})
    assert response.status_code == 200
    body = response.json()
    assert body["degraded"] is False
    assert body["count"] == 0  # nothing in the catalogue has these words; "*:*" must not mean "all"


@pytest.mark.parametrize(
    ("q", "key"), [("Re:Zero", "rezero"), ("Fate/Zero", "fate"), ("tom & jerry", "markup")]
)
def test_titles_with_syntax_characters_are_found(api_client, indexed, q, key):
    assert ids(search(api_client, q=q))[0] == indexed[key].id


# --- suggest -------------------------------------------------------------------------------------


def suggest(client: APIClient, q: str, **headers: Any) -> list[dict[str, Any]]:
    response = client.get(SUGGEST, {"q": q}, **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["degraded"] is False
    return body["results"]


def test_suggest_completes_prefixes_most_popular_first(api_client, indexed):
    results = suggest(api_client, "shin")
    assert [r["id"] for r in results] == [indexed["aot"].id, indexed["aot2"].id, indexed["drama_cd"].id]
    assert results[0]["title"] == "Attack on Titan"
    assert results[0]["matched"] == "Shingeki no Kyojin"
    assert results[0]["type"] == "TV"
    assert results[0]["year"] == 2013


def test_suggest_labels_titles_in_the_user_language(api_client, indexed):
    assert suggest(api_client, "kimetsu", HTTP_ACCEPT_LANGUAGE="zh-hans")[0]["title"] == "鬼灭之刃"
    api_client.cookies["django_language"] = "zh-hans"
    results = suggest(api_client, "shingeki")
    assert results[0]["title"] == "进击的巨人"
    # without a Chinese title the Japanese one, then the main title, is shown
    assert results[1]["title"] == "進撃の巨人 Season2"


def test_suggest_in_cjk_scripts(api_client, indexed):
    assert suggest(api_client, "進撃")[0]["id"] == indexed["aot"].id
    assert suggest(api_client, "进击的")[0]["id"] == indexed["aot"].id
    assert suggest(api_client, "鬼")[0]["id"] == indexed["kimetsu"].id


def test_suggest_tolerates_a_typo_in_a_finished_word(api_client, indexed):
    assert suggest(api_client, "shingeky no")[0]["id"] == indexed["aot"].id


def test_suggest_returns_at_most_eight(api_client, catalogue):
    for n in range(12):
        make_anime(title=f"Gundam Unit {n}", members=1000 * (n + 1))
    delete_index()
    rebuild_index(progress=False)
    try:
        results = suggest(api_client, "gund")
        assert len(results) == 8
        assert results[0]["matched"] == "Gundam Unit 11"
    finally:
        delete_index()


def test_suggest_does_not_query_the_database(api_client, indexed, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get(SUGGEST, {"q": "kim"})
    assert response.json()["results"][0]["id"] == indexed["kimetsu"].id


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 201}])
def test_suggest_bad_input(api_client, params):
    response = api_client.get(SUGGEST, params)
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["q"]


# --- degraded: search server down or slow ----------------------------------------------------------


def test_search_falls_back_to_the_database_when_the_server_is_down(
    api_client, catalogue, search_server_down, caplog
):
    with caplog.at_level(logging.WARNING, logger="catalog.search.selectors"):
        body = search(api_client, q="titan")
    assert body["degraded"] is True
    # exact title first, then other titles containing the words by popularity; hidden ones never
    assert ids(body) == [catalogue["aot"].id, catalogue["aot2"].id, catalogue["drama_cd"].id]
    assert body["results"][0]["highlight"] == {}
    assert {(b["value"], b["count"]) for b in body["facets"]["year"]} == {(2013, 2), (2017, 1)}
    assert any("search server unavailable" in r.getMessage() for r in caplog.records)


def test_degraded_search_matches_every_script_and_applies_filters(api_client, catalogue, search_server_down):
    assert ids(search(api_client, q="进击的巨人"))[0] == catalogue["aot"].id
    assert ids(search(api_client, q="kimetsu", type="Movie")) == [catalogue["kimetsu_movie"].id]
    assert ids(search(api_client, genre="drama", sort="year")) == [
        catalogue["aot2"].id,
        catalogue["aot"].id,
        catalogue["monster"].id,
    ]


def test_suggest_falls_back_to_the_database_when_the_server_is_down(
    api_client, catalogue, search_server_down
):
    response = api_client.get(SUGGEST, {"q": "shingeki"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.json()
    assert response.status_code == 200
    assert body["degraded"] is True
    assert body["results"][0]["id"] == catalogue["aot"].id
    assert body["results"][0]["title"] == "进击的巨人"


def test_a_slow_search_server_times_out_into_the_database(
    api_client, catalogue, search_server_silent, caplog
):
    with caplog.at_level(logging.WARNING, logger="catalog.search.selectors"):
        body = search(api_client, q="Kimetsu no Yaiba")
    assert body["degraded"] is True
    assert ids(body)[0] == catalogue["kimetsu"].id
    assert any("Timeout" in r.getMessage() for r in caplog.records)


def test_search_before_any_index_exists_degrades(api_client, catalogue):
    delete_index()
    body = search(api_client, q="Kimetsu no Yaiba")
    assert body["degraded"] is True
    assert ids(body)[0] == catalogue["kimetsu"].id


@pytest.mark.parametrize(
    "q",
    [
        "shingekinokyojin",  # joined words
        "Shingeki-no-Kyojin",  # punctuation for spaces
        "進擊の巨人",  # the traditional form of the Japanese title
        "\uff33\uff28\uff29\uff2e\uff27\uff25\uff2b\uff29 \uff2e\uff2f",  # full width
    ],
)
def test_degraded_search_compares_titles_as_the_engine_does(
    api_client, catalogue, search_server_down, settings, q
):
    # given the engine down and the autocomplete title index built
    settings.SEARCH_TYPEAHEAD_ENABLED = True
    typeahead.refresh(wait=True)
    # when searching in another script, width or spelling of the words
    body = search(api_client, q=q)
    # then the database answers, says so, and finds the anime
    assert body["degraded"] is True
    assert ids(body)[0] == catalogue["aot"].id


@pytest.mark.parametrize(
    "q", ["\uff33\uff28\uff29\uff2e\uff27\uff25\uff2b\uff29", "進擊的巨人", "进击的巨人", "SHINGEKI"]
)
def test_degraded_search_without_the_title_index_still_folds_width_and_script(
    api_client, catalogue, search_server_down, q
):
    body = search(api_client, q=q)
    assert body["degraded"] is True
    assert ids(body)[0] == catalogue["aot"].id
