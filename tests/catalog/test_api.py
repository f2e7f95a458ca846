"""The catalogue list and detail endpoints: filters, ordering, validation, visibility, queries."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from activity.models import Interaction
from catalog.models import Anime, AnimeTitle
from tests.catalog.factories import AnimeTitleFactory, ExternalIdFactory
from tests.factories import AnimeFactory, GenreFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/anime/"
CARD_KEYS = {
    "id",
    "mal_id",
    "franchise_id",
    "title",
    "titles",
    "cover_url",
    "type",
    "episodes",
    "year",
    "season",
    "score",
    "members",
    "genres",
}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def _detail_url(anime_id: int) -> str:
    return f"/api/anime/{anime_id}/"


@pytest.fixture
def staff_client() -> APIClient:
    client = APIClient()
    client.force_login(UserFactory.create(is_staff=True))
    return client


# --- list ---------------------------------------------------------------------------------


def test_list_returns_cards_most_popular_first(api_client):
    # given
    action = GenreFactory.create(name="Action", slug="action")
    quiet = AnimeFactory.create(members=10)
    popular = AnimeFactory.create(members=5000, title_zh_hans="进击的巨人", genres=[action])

    # when
    response = api_client.get(LIST_URL)

    # then
    body = response.json()
    assert body["count"] == 2
    assert _ids(response) == [popular.id, quiet.id]
    card = body["results"][0]
    assert set(card) == CARD_KEYS
    assert card["mal_id"] == popular.mal_id
    assert card["genres"] == ["Action"]
    assert card["titles"]["zh_hans"] == "进击的巨人"


def test_list_shows_the_title_in_the_request_language(api_client):
    AnimeFactory.create(title="Shingeki no Kyojin", title_en="Attack on Titan", title_zh_hans="进击的巨人")

    english = api_client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]["title"]
    chinese = api_client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]["title"]

    assert english == "Attack on Titan"
    assert chinese == "进击的巨人"


@pytest.mark.parametrize("value", ["action", "Action", "ACTION"])
def test_list_filters_by_genre_slug_or_name(api_client, value):
    # given
    action = GenreFactory.create(name="Action", slug="action")
    comedy = GenreFactory.create(name="Comedy", slug="comedy")
    wanted = AnimeFactory.create(genres=[action])
    AnimeFactory.create(genres=[comedy])
    AnimeFactory.create()

    # when / then
    assert _ids(api_client.get(LIST_URL, {"genre": value})) == [wanted.id]


def test_list_with_several_genres_keeps_anime_having_all_of_them(api_client):
    # given
    action = GenreFactory.create(name="Action", slug="action")
    slice_of_life = GenreFactory.create(name="Slice of Life", slug="slice-of-life")
    both = AnimeFactory.create(genres=[action, slice_of_life], members=10)
    AnimeFactory.create(genres=[action], members=20)
    AnimeFactory.create(genres=[slice_of_life], members=30)

    # when
    response = api_client.get(LIST_URL, {"genre": "action, Slice of Life"})

    # then
    assert _ids(response) == [both.id]
    assert response.json()["count"] == 1


def test_list_rejects_an_unknown_genre(api_client):
    GenreFactory.create(name="Action", slug="action")

    response = api_client.get(LIST_URL, {"genre": "action,space-opera"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["extra"]["fields"]) == ["genre"]
    assert "space-opera" in body["extra"]["fields"]["genre"][0]


def test_list_filters_by_tag(api_client):
    # given
    mecha = TagFactory.create(name="机战")
    school = TagFactory.create(name="校园")
    both = AnimeFactory.create()
    both.tags.set([mecha, school])
    only_mecha = AnimeFactory.create()
    only_mecha.tags.set([mecha])

    # when / then
    assert sorted(_ids(api_client.get(LIST_URL, {"tag": "机战"}))) == sorted([both.id, only_mecha.id])
    assert _ids(api_client.get(LIST_URL, {"tag": "机战,校园"})) == [both.id]
    unknown = api_client.get(LIST_URL, {"tag": "不存在"})
    assert unknown.status_code == 400
    assert list(unknown.json()["extra"]["fields"]) == ["tag"]


@pytest.mark.parametrize("value", ["Movie", "movie"])
def test_list_filters_by_type(api_client, value):
    movie = AnimeFactory.create(type=Anime.Type.MOVIE)
    AnimeFactory.create(type=Anime.Type.TV)

    assert _ids(api_client.get(LIST_URL, {"type": value})) == [movie.id]


def test_list_filters_by_year_season_and_min_score(api_client):
    # given
    match = AnimeFactory.create(year=2013, season=Anime.Season.SPRING, score=8.5)
    AnimeFactory.create(year=2013, season=Anime.Season.FALL, score=8.5)
    AnimeFactory.create(year=2014, season=Anime.Season.SPRING, score=8.5)
    AnimeFactory.create(year=2013, season=Anime.Season.SPRING, score=6.0)
    AnimeFactory.create(year=2013, season=Anime.Season.SPRING, score=None)

    # when
    response = api_client.get(LIST_URL, {"year": 2013, "season": "spring", "min_score": "8"})

    # then
    assert _ids(response) == [match.id]
    assert len(_ids(api_client.get(LIST_URL, {"year": 2013}))) == 4
    assert len(_ids(api_client.get(LIST_URL, {"season": "fall"}))) == 1
    assert len(_ids(api_client.get(LIST_URL, {"min_score": "8.5"}))) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"year": "abc"}, "year"),
        ({"year": "1066"}, "year"),
        ({"season": "monsoon"}, "season"),
        ({"type": "Foo"}, "type"),
        ({"min_score": "11"}, "min_score"),
        ({"min_score": "-1"}, "min_score"),
        ({"min_score": "high"}, "min_score"),
        ({"ordering": "bogus"}, "ordering"),
        ({"ordering": "-id"}, "ordering"),
    ],
)
def test_list_rejects_invalid_parameters_by_name(api_client, params, field):
    AnimeFactory.create()

    response = api_client.get(LIST_URL, params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["extra"]["fields"]) == [field]


def test_list_ignores_empty_parameters(api_client):
    anime = AnimeFactory.create()

    assert _ids(api_client.get(LIST_URL, {"genre": "", "year": "", "ordering": ""})) == [anime.id]


@pytest.fixture
def ordering_catalogue() -> list[Anime]:
    rows = [
        ("Cowboy Bebop", 8.8, 900, 1998),
        ("Akira", 8.2, 500, 1988),
        ("Berserk", None, 700, 1997),
        ("Dororo", 8.2, 100, None),
        ("Evangelion", 8.3, 1200, 1995),
    ]
    return [AnimeFactory.create(title=t, score=s, members=m, year=y) for t, s, m, y in rows]


def _expected_order(anime: list[Anime], key: str) -> list[int]:
    field = key.lstrip("-")
    descending = key.startswith("-")
    present = [a for a in anime if getattr(a, field) is not None]
    missing = [a for a in anime if getattr(a, field) is None]
    # Ties break on the id, ascending; missing values always come last.
    present.sort(key=lambda a: a.id)
    present.sort(key=lambda a: getattr(a, field), reverse=descending)
    return [a.id for a in present] + sorted(a.id for a in missing)


@pytest.mark.parametrize(
    "ordering", ["score", "-score", "members", "-members", "year", "-year", "title", "-title"]
)
def test_list_orders_by_each_key(api_client, ordering_catalogue, ordering):
    response = api_client.get(LIST_URL, {"ordering": ordering})

    assert _ids(response) == _expected_order(ordering_catalogue, ordering)


def test_list_ordering_puts_unscored_anime_last_both_ways(api_client, ordering_catalogue):
    unscored = next(a.id for a in ordering_catalogue if a.score is None)

    assert _ids(api_client.get(LIST_URL, {"ordering": "score"}))[-1] == unscored
    assert _ids(api_client.get(LIST_URL, {"ordering": "-score"}))[-1] == unscored


def test_list_is_paginated(api_client):
    # given
    AnimeFactory.create_batch(5)

    # when
    first = api_client.get(LIST_URL, {"page_size": 2}).json()
    last = api_client.get(LIST_URL, {"page_size": 2, "page": 3}).json()

    # then
    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert "page=2" in first["next"]
    assert len(last["results"]) == 1
    assert last["next"] is None


def test_list_page_out_of_range_is_a_json_404(api_client):
    AnimeFactory.create()

    response = api_client.get(LIST_URL, {"page": 9})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_hidden_anime_are_listed_for_staff_only(api_client, user_client, staff_client):
    # given
    shown = AnimeFactory.create(members=10)
    hidden = AnimeFactory.create(members=20, is_hidden=True)

    # when / then
    assert _ids(api_client.get(LIST_URL)) == [shown.id]
    assert _ids(user_client.get(LIST_URL)) == [shown.id]
    assert _ids(staff_client.get(LIST_URL)) == [hidden.id, shown.id]


def _catalogue_with_relations(count: int) -> None:
    genres = [GenreFactory.create(name=f"G{i}", slug=f"g{i}") for i in range(3)]
    for anime in AnimeFactory.create_batch(count, genres=genres):
        AnimeTitleFactory.create(anime=anime, language=AnimeTitle.Language.JAPANESE)
        AnimeTitleFactory.create(anime=anime, language=AnimeTitle.Language.CHINESE_SIMPLIFIED)


def test_list_queries_do_not_grow_with_the_page(api_client, django_assert_num_queries):
    # given: 20 anime, each with genres and several titles
    _catalogue_with_relations(20)

    # when / then: a count, the page and its genres
    with django_assert_num_queries(3):
        response = api_client.get(LIST_URL, {"page_size": 20})
    assert len(response.json()["results"]) == 20
    assert all(len(card["genres"]) == 3 for card in response.json()["results"])

    # and filtering by genre adds only the genre lookup
    with django_assert_num_queries(4):
        assert api_client.get(LIST_URL, {"genre": "g1", "page_size": 20}).status_code == 200


def test_list_queries_for_a_logged_in_user(user_client, django_assert_max_num_queries):
    _catalogue_with_relations(20)

    # session and user, then the same three
    with django_assert_max_num_queries(6):
        response = user_client.get(LIST_URL, {"page_size": 20})
    assert len(response.json()["results"]) == 20


# --- detail -------------------------------------------------------------------------------


@pytest.fixture
def full_anime() -> Anime:
    action = GenreFactory.create(name="Action", slug="action")
    drama = GenreFactory.create(name="Drama", slug="drama")
    anime = AnimeFactory.create(
        mal_id=16498,
        title="Shingeki no Kyojin",
        title_en="Attack on Titan",
        title_ja="進撃の巨人",
        title_zh_hans="进击的巨人",
        synopsis="Humanity fights the titans.",
        synopsis_zh="人类与巨人的战斗。",
        cover_url="https://lain.bgm.tv/pic/cover/l/aot.jpg",
        official_site="https://shingeki.tv/",
        is_featured=True,
        genres=[action, drama],
    )
    anime.tags.set([TagFactory.create(name="热血"), TagFactory.create(name="漫改")])
    AnimeTitleFactory.create(
        anime=anime, text="Attack on Titan", language="en", kind=AnimeTitle.Kind.OFFICIAL
    )
    AnimeTitleFactory.create(anime=anime, text="AoT", language="en", kind=AnimeTitle.Kind.SYNONYM)
    AnimeTitleFactory.create(anime=anime, text="進撃の巨人", language="ja", kind=AnimeTitle.Kind.OFFICIAL)
    AnimeTitleFactory.create(
        anime=anime, text="进击的巨人", language="zh-Hans", kind=AnimeTitle.Kind.OFFICIAL
    )
    for site, external_id in [
        ("mal", "16498"),
        ("aniList", "16498"),
        ("bangumi", "55770"),
        ("anidb", "9541"),
        ("unext", "SID0001"),
        ("netflix", "70204970"),
        ("crunchyroll", "GR751KNZY"),
        ("bilibili", "28229002"),
        ("iqiyi", "a_19rrh1ss1p"),
        ("youku", "cc003e2a962411de83b1"),
        ("gamer_hk", "112286"),
        ("someplace", "x1"),
    ]:
        ExternalIdFactory.create(anime=anime, site=site, external_id=external_id)
    return anime


def test_detail_has_every_title_genre_tag_and_link(api_client, full_anime):
    # when
    response = api_client.get(_detail_url(full_anime.id))

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= CARD_KEYS
    assert body["mal_id"] == 16498
    assert body["title"] == "Attack on Titan"
    assert body["all_titles"] == {
        "x-jat": [{"text": "Shingeki no Kyojin", "kind": "main"}],
        "en": [{"text": "Attack on Titan", "kind": "official"}, {"text": "AoT", "kind": "synonym"}],
        "ja": [{"text": "進撃の巨人", "kind": "official"}],
        "zh-Hans": [{"text": "进击的巨人", "kind": "official"}],
    }
    assert body["genres"] == ["Action", "Drama"]
    assert body["genre_items"] == [{"name": "Action", "slug": "action"}, {"name": "Drama", "slug": "drama"}]
    assert sorted(body["tags"]) == sorted(["热血", "漫改"])
    assert body["synopsis"] == "Humanity fights the titans."
    assert body["synopsis_zh"] == "人类与巨人的战斗。"
    assert body["cover_url"] == "https://lain.bgm.tv/pic/cover/l/aot.jpg"
    assert body["official_site"] == "https://shingeki.tv/"
    assert body["is_featured"] is True
    links = {link["site"]: link for link in body["external_links"]}
    assert links["mal"]["url"] == "https://myanimelist.net/anime/16498"
    assert links["aniList"]["url"] == "https://anilist.co/anime/16498"
    assert links["bangumi"]["url"] == "https://bgm.tv/subject/55770"
    assert links["anidb"]["url"] == "https://anidb.net/anime/9541"
    # streaming ids link to the site, with bangumi-data's siteMeta URL templates
    assert links["unext"] == {
        "site": "unext",
        "name": "U-NEXT",
        "external_id": "SID0001",
        "url": "https://video.unext.jp/title/SID0001",
    }
    assert links["netflix"]["url"] == "https://www.netflix.com/title/70204970"
    assert links["crunchyroll"]["url"] == "https://www.crunchyroll.com/series/GR751KNZY/"
    assert links["bilibili"]["url"] == "https://www.bilibili.com/bangumi/media/md28229002/"
    assert links["iqiyi"]["url"] == "https://www.iqiyi.com/a_19rrh1ss1p.html"
    assert links["youku"]["url"] == "https://list.youku.com/show/id_zcc003e2a962411de83b1.html"
    assert links["gamer_hk"]["url"] == "https://acg.gamer.com.tw/acgDetail.php?s=112286"
    assert links["someplace"] == {"site": "someplace", "name": "someplace", "external_id": "x1", "url": None}


def test_detail_title_follows_the_language(api_client, full_anime):
    response = api_client.get(_detail_url(full_anime.id), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.json()["title"] == "进击的巨人"


def test_detail_of_an_unknown_id_is_a_json_404(api_client):
    response = api_client.get(_detail_url(987654321))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["message"] == "No such anime."


def test_hidden_anime_detail_is_for_staff_only(api_client, user_client, staff_client):
    hidden = AnimeFactory.create(is_hidden=True)

    assert api_client.get(_detail_url(hidden.id)).status_code == 404
    assert user_client.get(_detail_url(hidden.id)).status_code == 404
    staff = staff_client.get(_detail_url(hidden.id))
    assert staff.status_code == 200
    assert staff.json()["is_hidden"] is True


def test_detail_records_a_view_for_logged_in_users(api_client, user_client, user):
    # given
    anime = AnimeFactory.create()

    # when
    api_client.get(_detail_url(anime.id))
    user_client.get(_detail_url(anime.id))

    # then: only the logged-in visit is in the behaviour log
    views = list(Interaction.objects.filter(anime=anime).values_list("user_id", "kind", "source"))
    assert views == [(user.id, Interaction.Kind.VIEW, Interaction.Source.SITE)]


def test_detail_still_answers_when_recording_the_view_fails(user_client, monkeypatch):
    # given
    anime = AnimeFactory.create()

    def broken(**kwargs):
        raise RuntimeError("behaviour log unavailable")

    monkeypatch.setattr("catalog.services.event_record", broken)

    # when
    response = user_client.get(_detail_url(anime.id))

    # then
    assert response.status_code == 200
    assert response.json()["id"] == anime.id
    assert not Interaction.objects.exists()


def test_detail_queries_do_not_grow_with_titles_and_links(api_client, full_anime, django_assert_num_queries):
    # given: many more titles and links
    for i in range(15):
        AnimeTitleFactory.create(
            anime=full_anime, text=f"Alias {i}", language="und", kind=AnimeTitle.Kind.ALIAS
        )
        ExternalIdFactory.create(anime=full_anime, site="tmdb", external_id=f"tv/{i}")

    # when / then: the anime, then genres, tags, titles and external ids
    with django_assert_num_queries(5):
        response = api_client.get(_detail_url(full_anime.id))
    assert len(response.json()["all_titles"]["und"]) == 15
    assert len(response.json()["external_links"]) == 12 + 15  # the fixture's 12 and the 15 added


def test_detail_queries_for_a_logged_in_user(user_client, full_anime, django_assert_max_num_queries):
    # session, user, the five reads, and the view event (with its savepoint)
    with django_assert_max_num_queries(10):
        assert user_client.get(_detail_url(full_anime.id)).status_code == 200
