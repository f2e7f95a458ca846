from __future__ import annotations

import http.server
import json
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


class HeldSearchServer:
    """A fake search server that holds every request until ``release`` is set, then answers
    each with the anime ids in ``hits`` (an Elasticsearch 8 search response). ``requests`` lists
    the paths of the requests it received, in order."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.hits: list[int] = []
        self.release = threading.Event()
        self.received = threading.Condition()

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> bool:
        with self.received:
            return self.received.wait_for(lambda: len(self.requests) >= n, timeout)


@pytest.fixture
def search_server_held(settings) -> Iterator[HeldSearchServer]:
    """The engine as a fake server whose answers the test lets go (``HeldSearchServer``)."""
    server = HeldSearchServer()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with server.received:
                server.requests.append(self.path)
                server.received.notify_all()
            server.release.wait(10)
            hits = [{"_index": "anime", "_id": str(i), "_score": 1.0} for i in server.hits]
            payload = json.dumps(
                {
                    "took": 1,
                    "timed_out": False,
                    "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                    "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": 1.0, "hits": hits},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    settings.ELASTICSEARCH_DSL = {
        "default": {"hosts": f"http://127.0.0.1:{httpd.server_address[1]}/", "max_retries": 0}
    }
    yield server
    server.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()
