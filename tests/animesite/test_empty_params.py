"""Empty and blank query values on every GET endpoint of the schema: each answers its default or a
400 naming the field, never a 5xx, and every status given is one the schema documents.

``ordering=`` and ``limit=`` (the empty string) were once accepted or refused without a field
message depending on the endpoint; the schema is read here, so a new list endpoint is covered
without being listed."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from tests.factories import AnimeFactory, CollectionEntryFactory, UserFactory

pytestmark = pytest.mark.django_db

VALUES = ["", " ", "%20%20", "%09"]


def _schema(client: APIClient) -> dict:
    return json.loads(client.get("/api/schema/", {"format": "json"}).content)


def _paths(anime_id: int) -> list[tuple[str, list[str], set[str]]]:
    """(path, query parameter names, documented statuses) of every GET operation."""
    client = APIClient()
    schema = _schema(client)
    filled = {"anime_id": str(anime_id), "kind": "top", "year": "2015", "season": "spring", "job_id": "1"}
    found = []
    for template, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: filled[m.group(1)], template)
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        found.append((path, names, set(operation["responses"])))
    return found


def test_empty_and_blank_query_values_are_the_default_or_a_field_error(settings):
    settings.SEARCH_TIMEOUT_SECONDS = 0.5
    anime = AnimeFactory(year=2015, season="spring", type="TV")
    user = UserFactory()
    CollectionEntryFactory(user=user, anime=anime, score=8)
    paths = _paths(anime.id)
    assert any(names for _, names, _ in paths)
    answered: dict[int, int] = {}
    problems = []
    for signed_in in (False, True):
        client = APIClient()
        if signed_in:
            client.force_login(user)
        for path, names, documented in paths:
            # Search needs words or a filter; the other parameters are tried beside a query.
            base = "q=Frieren&" if path == "/api/search/" else ""
            queries = [f"{base}{name}={value}" for name in names for value in VALUES if name not in base]
            if names:
                queries.append("&".join(f"{name}=" for name in names))  # every one empty at once
            for query in queries:
                response = client.get(f"{path}?{query}")
                status = response.status_code
                answered[status] = answered.get(status, 0) + 1
                where = f"{'signed in' if signed_in else 'anonymous'} GET {path}?{query}"
                if str(status) not in documented:
                    problems.append(f"{where}: {status} is not documented ({sorted(documented)})")
                if status >= 500:
                    problems.append(f"{where}: {status} {response.content[:200]!r}")
                elif status == 400:
                    fields = response.json().get("extra", {}).get("fields", {})
                    if not set(names) & set(fields):
                        problems.append(f"{where}: 400 without a field message: {response.content[:200]!r}")
                elif status not in (200, 403, 404):
                    problems.append(f"{where}: unexpected {status}")
    print(f"empty/blank query values: {sum(answered.values())} requests, statuses {answered}")
    assert not problems, "\n".join(problems[:40])


def test_empty_ordering_and_limit_give_the_default():
    anime = AnimeFactory()
    client = APIClient()
    default = client.get("/api/anime/").json()
    empty = client.get("/api/anime/?ordering=")
    assert empty.status_code == 200
    assert [a["id"] for a in empty.json()["results"]] == [a["id"] for a in default["results"]]
    for path in (f"/api/anime/{anime.id}/similar/?limit=", "/api/recommendations/?limit="):
        response = client.get(path)
        assert response.status_code in (200, 400), (path, response.status_code)
        if response.status_code == 400:
            assert "limit" in response.json()["extra"]["fields"], response.content
    assert quote(" ") == "%20"
