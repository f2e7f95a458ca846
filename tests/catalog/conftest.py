from __future__ import annotations

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
