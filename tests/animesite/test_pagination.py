"""One paging contract on every paginated endpoint: catalogue list, search, rankings, collection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog.search.indexing import delete_index, rebuild_index
from tests.factories import AnimeFactory, CollectionEntryFactory, GenreFactory, UserFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "catalogue": "/api/anime/?genre=action",
    "search": "/api/search/?genre=action",
    "rankings": "/api/rankings/popular/?genre=action",
    "collection": "/api/collection/?ordering=title",
}


@pytest.fixture
def five_anime(settings) -> Iterator[APIClient]:
    """Five action anime, all in one user's collection, indexed; a client signed in as that user."""
    action = GenreFactory(name="Action", slug="action")
    user = UserFactory()
    for i in range(5):
        anime = AnimeFactory(title=f"Paging {i}", members=1000 - i, genres=[action])
        CollectionEntryFactory(user=user, anime=anime, status="watching")
    delete_index()
    rebuild_index(progress=False)
    client = APIClient()
    client.force_login(user)
    yield client
    delete_index()


def get(client: APIClient, endpoint: str, **params: Any) -> Any:
    url = ENDPOINTS[endpoint] + "".join(f"&{k}={v}" for k, v in params.items())
    return client.get(url)


@pytest.mark.search
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_pages_follow_one_contract(five_anime, endpoint):
    # when paging five items two by two
    first = get(five_anime, endpoint, page_size=2).json()
    # then count, total, next and previous say where the pages are
    assert (first["count"], first["total"], len(first["results"])) == (5, 5, 2)
    assert first["previous"] is None
    assert "page=2" in first["next"]
    last = five_anime.get(five_anime.get(first["next"]).json()["next"]).json()
    # the last page by count answers and offers no next page
    assert len(last["results"]) == 1
    assert last["next"] is None
    assert "page=2" in last["previous"]
    # a page after the last one is a 404 in the one error format
    beyond = get(five_anime, endpoint, page_size=2, page=4)
    assert beyond.status_code == 404
    assert beyond.json()["code"] == "not_found"


@pytest.mark.search
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "x"}, "page"),
        ({"page": ""}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page_size": ""}, "page_size"),
    ],
)
def test_bad_paging_parameters_are_a_400_naming_them(five_anime, endpoint, params, field):
    response = get(five_anime, endpoint, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["extra"]["fields"]) == [field]


@pytest.mark.search
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_the_largest_page_size_is_accepted(five_anime, endpoint):
    body = get(five_anime, endpoint, page_size=100).json()
    assert len(body["results"]) == 5
    assert body["next"] is None
