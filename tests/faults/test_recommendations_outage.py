"""Signed-in recommendations while MariaDB is unreachable: an answer is served from its stored
copy only when that exact request (user, parameters, language and the user's collection state)
was answered before; anything else is a clean 503 JSON with Retry-After, never an answer from
before the user's latest change."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from animesite.process_cache import process_cache
from tests.factories import CollectionEntryFactory, UserFactory
from tests.recsys.test_api import _ids, active_model, catalog, serving  # noqa: F401 (fixtures)

PASSWORD = "correct-horse-battery"


@pytest.mark.django_db(transaction=True)
def test_signed_in_recommendations_during_an_outage_answer_only_the_exact_cached_request(
    database_proxy,
    catalog,  # noqa: F811 (fixture)
    active_model,  # noqa: F811 (fixture)
):
    user = UserFactory.create(username="recsoutage", password=PASSWORD)
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=10)
    client = APIClient()
    assert (
        client.post("/api/auth/login/", {"username": "recsoutage", "password": PASSWORD}).status_code == 200
    )

    # Served before the change: five picks, and an anime's page.
    before = client.get("/api/recommendations/", {"limit": 5})
    page = f"/api/anime/{catalog['anime']['Comedy'][0].id}/"
    assert client.get(page).status_code == 200
    assert before.status_code == 200
    hidden = _ids(before)[0]
    # The user hides the top pick (the state changes), then asks with other parameters.
    marked = client.post("/api/recommendations/not-interested/", {"anime_id": hidden}, format="json")
    assert marked.status_code == 201
    after = client.get("/api/recommendations/", {"limit": 6})
    assert after.status_code == 200 and hidden not in _ids(after)

    database_proxy.set_mode("cut")
    process_cache.clear()  # as in a worker that never computed these answers itself

    # The exact request served under the current state: its copy, marked degraded.
    same = client.get("/api/recommendations/", {"limit": 6})
    assert same.status_code == 200, same.content[:300]
    assert same["X-Degraded"] == "database"
    assert same.json()["degraded"] is True
    assert _ids(same) == _ids(after)

    # A catalogue page does not follow the collection: its copy from before the change answers.
    detail = client.get(page)
    assert detail.status_code == 200, detail.content[:300]

    # Served only before the change: its copy still lists the hidden anime, so it is not used.
    stale = client.get("/api/recommendations/", {"limit": 5})
    # Never served: nothing to answer from.
    unseen = client.get("/api/recommendations/", {"limit": 7})
    for response in (stale, unseen):
        assert response.status_code == 503, response.content[:300]
        assert response["Retry-After"] == "5"
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "service_unavailable"
