"""Fault fixtures: the site's Redis (cache, throttles, tokens) or MariaDB reached through a proxy
that a test can cut, hang or slow."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import override_settings

from animesite.redis import breaker_reset
from tests.faults.proxy import FaultProxy


@pytest.fixture
def redis_proxy() -> Iterator[FaultProxy]:
    parsed = urlparse(settings.REDIS_URL)
    proxy = FaultProxy(parsed.hostname or "127.0.0.1", parsed.port or 6379)
    url = f"redis://127.0.0.1:{proxy.port}{parsed.path or '/0'}"
    caches = copy.deepcopy(settings.CACHES)
    for alias in ("default", "throttle"):
        caches[alias]["LOCATION"] = url
    breaker_reset()
    with override_settings(REDIS_URL=url, CACHES=caches):
        yield proxy
    proxy.close()
    breaker_reset()


@pytest.fixture
def database_proxy(django_db_blocker) -> Iterator[FaultProxy]:
    """The default database connection reached through a proxy (use with transactional tests)."""
    from django.db import connection

    original = dict(connection.settings_dict)
    proxy = FaultProxy(original["HOST"] or "127.0.0.1", int(original["PORT"] or 3306))
    connection.close()
    connection.settings_dict["HOST"] = "127.0.0.1"
    connection.settings_dict["PORT"] = str(proxy.port)
    try:
        yield proxy
    finally:
        proxy.set_mode("pass")
        connection.close()
        connection.settings_dict["HOST"] = original["HOST"]
        connection.settings_dict["PORT"] = original["PORT"]
        proxy.close()


@pytest.fixture
def search_proxy() -> Iterator[FaultProxy]:
    """The search server reached through a proxy, with a short user-facing timeout."""
    config = copy.deepcopy(settings.ELASTICSEARCH_DSL)
    hosts = config["default"]["hosts"]
    parsed = urlparse(hosts if isinstance(hosts, str) else hosts[0])
    proxy = FaultProxy(parsed.hostname or "127.0.0.1", parsed.port or 9200)
    config["default"]["hosts"] = f"http://127.0.0.1:{proxy.port}"
    with override_settings(ELASTICSEARCH_DSL=config, SEARCH_TIMEOUT_SECONDS=0.5):
        yield proxy
    proxy.close()
