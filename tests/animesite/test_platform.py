"""The platform itself: schema, docs, error shape, SPA fallback, services reachable."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.mark.django_db
def test_openapi_schema_is_generated(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.django_db
def test_swagger_ui_renders(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(api_client):
    response = api_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_cache_is_the_real_redis():
    cache.set("platform-probe", {"a": 1}, 10)
    assert cache.get("platform-probe") == {"a": 1}
