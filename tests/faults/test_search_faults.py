"""Search cut and slow: search answers from the database (degraded), suggestions keep coming from
each process's autocomplete index (they never ask the engine), never a 5xx, and other endpoints
are unaffected."""

from __future__ import annotations

import pytest

from catalog.search import typeahead
from tests.factories import AnimeFactory

pytestmark = pytest.mark.django_db

SEARCHES = ["/api/search/?q=Frieren", "/api/search/?q=&type=TV"]
SUGGEST = "/api/search/suggest/?q=Fri"


@pytest.mark.parametrize(("fault", "delay"), [("cut", 0.0), ("hang", 0.0), ("slow", 2.0)])
def test_search_faults_degrade_to_the_database(api_client, search_proxy, fault, delay):
    anime = AnimeFactory(title="Frieren: Beyond Journey's End", type="TV")
    typeahead.refresh(wait=True)
    search_proxy.set_mode(fault, delay=delay)
    for path in SEARCHES:
        response = api_client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.json()["degraded"] is True, path
    suggest = api_client.get(SUGGEST)
    assert suggest.status_code == 200
    assert anime.id in [item["id"] for item in suggest.json()["results"]]
    results = api_client.get("/api/search/?q=Frieren").json()["results"]
    assert anime.id in [item["id"] for item in results]
    assert api_client.get(f"/api/anime/{anime.id}/").status_code == 200

    search_proxy.set_mode("pass")
    for path in [*SEARCHES, SUGGEST]:
        assert api_client.get(path).status_code < 500
