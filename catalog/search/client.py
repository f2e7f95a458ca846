"""The search-server client and the errors that make search degrade to the database."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

# Anything the client raises when the server is down, slow, missing the index or rejecting a
# request: search answers from the database instead of failing.
ENGINE_ERRORS: tuple[type[Exception], ...] = (TransportError, ApiError)

_clients: dict[str, Elasticsearch] = {}
_lock = threading.Lock()


def search_client() -> Elasticsearch:
    """One pooled client per configuration (``settings.ELASTICSEARCH_DSL["default"]``)."""
    config: dict[str, Any] = dict(settings.ELASTICSEARCH_DSL["default"])
    key = repr(sorted(config.items()))
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = Elasticsearch(**config)
                _clients[key] = client
    return client


def query_client() -> Elasticsearch:
    """The client for user-facing reads: a short timeout and no retries."""
    return search_client().options(request_timeout=settings.SEARCH_TIMEOUT_SECONDS, max_retries=0)


def indexing_client() -> Elasticsearch:
    """The client for writes and rebuilds: bulk requests may take longer than a search."""
    return search_client().options(request_timeout=settings.SEARCH_INDEXING_TIMEOUT_SECONDS)
