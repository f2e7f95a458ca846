from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from animesite.process_cache import process_cache
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Every test starts with an empty cache (the real Redis, a test-only database number) and an
    empty per-process cache of the serving layer."""
    cache.clear()
    process_cache.clear()
    yield
    cache.clear()
    process_cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def user_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client
