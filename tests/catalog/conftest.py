from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from catalog.search import typeahead
from catalog.search.client import engine_gate


@pytest.fixture(autouse=True)
def _search_process_state(settings) -> Iterator[None]:
    """Each test starts without an autocomplete title index (suggestions come from the engine
    unless a test builds one with ``title_index``) and with the engine's breaker closed."""
    settings.SEARCH_TYPEAHEAD_ENABLED = False
    typeahead.reset()
    engine_gate.reset()
    yield
    typeahead.reset()
    engine_gate.reset()


@pytest.fixture
def title_index(settings) -> typeahead.TitleIndex:
    """The autocomplete title index built now, in the test's transaction."""
    settings.SEARCH_TYPEAHEAD_ENABLED = True
    typeahead.refresh(wait=True)
    index = typeahead.current()
    assert index is not None
    return index


@pytest.fixture
def search_server_down(settings) -> None:
    """No search server: port 9 (discard) has no listener here, connections are refused at once."""
    settings.ELASTICSEARCH_DSL = {
        "default": {"hosts": "http://127.0.0.1:9/", "request_timeout": 1, "max_retries": 0}
    }


@pytest.fixture
def search_server_silent(settings) -> Iterator[list[socket.socket]]:
    """A search server that accepts connections and never answers (a hung engine): every request
    times out after ``SEARCH_TIMEOUT_SECONDS`` (0.3 s here). Yields the connections it accepted,
    one per request that reached it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    settings.ELASTICSEARCH_DSL = {"default": {"hosts": f"http://127.0.0.1:{port}/", "max_retries": 0}}
    settings.SEARCH_TIMEOUT_SECONDS = 0.3
    yield accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()
