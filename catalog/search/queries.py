"""Elasticsearch request bodies for search and autocomplete (pure functions, no I/O).

User input only ever reaches ``match`` and ``match_phrase`` clauses, which analyse it as plain
text: Lucene syntax such as ``" ( ) : * ~ ^ \\ /`` is searched as text and never
parsed (no ``query_string``).

Relevance = text match x popularity:

- text match: exact title (normalised keyword) >> the words as a phrase >> every word (complete or
  as a prefix) >> typo-tolerant words (fuzziness AUTO, Latin script only) >> synopsis and tags.
  Title clauses score a constant when they match (see ``_flat``); the fuzzy, CJK-words, synopsis
  and tag clauses keep BM25 so rarer words weigh more;
- popularity: ``1 + POPULARITY_WEIGHT * log10(1 + members)`` (``function_score`` with
  ``field_value_factor``), so a well-known title beats an obscure one with the same words while a
  clearly better text match still wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog.documents import CJK_RE, has_cjk
from catalog.filters import CatalogFilter

MAX_QUERY_LENGTH = 200
MAX_RESULT_WINDOW = 10_000
SUGGEST_SIZE = 8

SORTS = ("relevance", "score", "members", "year")

# Clause boosts (relative weights of the text-match signals).
EXACT_BOOST = 12.0
PHRASE_BOOST = 4.0
ALL_WORDS_BOOST = 2.0
FUZZY_BOOST = 1.0
PREFIX_BOOST = 3.0  # autocomplete: every typed word starts a title word
CJK_WORDS_BOOST = 2.0
CJK_GRAM_BOOST = 1.0
SYNOPSIS_BOOST = 0.3
TAG_BOOST = 0.5
POPULARITY_WEIGHT = 0.5
SUGGEST_POPULARITY_WEIGHT = 1.0

FACETS = (
    # name, index field, number of buckets
    ("genre", "genres", 100),
    ("type", "type", 20),
    ("year", "year", 150),
    ("season", "season", 4),
)

_HIGHLIGHT_TITLE = {"number_of_fragments": 0}
_HIGHLIGHT_SYNOPSIS = {"fragment_size": 160, "number_of_fragments": 1}
HIGHLIGHT_FIELDS: dict[str, str] = {
    # index field -> key in the API's "highlight" object
    "titles": "titles",
    "titles.prefix": "titles",
    "titles_cjk": "titles",
    "titles_cjk.gram": "titles",
    "synopsis": "synopsis",
    "synopsis_zh": "synopsis",
}


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    filters: CatalogFilter = field(default_factory=CatalogFilter)
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20
    include_hidden: bool = False

    @property
    def effective_sort(self) -> str:
        """Without words there is nothing to be relevant to: list by popularity."""
        return "members" if self.sort == "relevance" and not self.q else self.sort


def normalize_query(text: str) -> str:
    return " ".join(text.split())


def has_latin(text: str) -> bool:
    """Anything besides CJK characters, spaces and punctuation (Latin, digits, Cyrillic...)."""
    return any(ch.isalnum() for ch in CJK_RE.sub("", text))


def _flat(clause: dict[str, Any], boost: float) -> dict[str, Any]:
    """A clause that scores ``boost`` when it matches, whatever the title lengths and counts.

    An anime has many titles in one multi-valued field; BM25's length normalisation would favour
    obscure anime with a single short title over famous ones with a dozen synonyms.
    """
    return {"constant_score": {"filter": clause, "boost": boost}}


def text_clauses(q: str) -> list[dict[str, Any]]:
    """The scoring clauses for ``q``; chosen by script so CJK input never goes through fuzziness."""
    clauses: list[dict[str, Any]] = []
    cjk = has_cjk(q)
    latin = has_latin(q) or not cjk
    if latin:
        clauses += [
            _flat({"match": {"titles.exact": q}}, EXACT_BOOST),
            _flat({"match_phrase": {"titles": q}}, PHRASE_BOOST),
            # Every word, each complete or as the start of a title word.
            _flat({"match": {"titles.prefix": {"query": q, "operator": "and"}}}, ALL_WORDS_BOOST),
            {
                "match": {
                    "titles": {
                        "query": q,
                        "fuzziness": "AUTO",
                        "prefix_length": 1,
                        "max_expansions": 50,
                        "minimum_should_match": "2<75%",
                        "boost": FUZZY_BOOST,
                    }
                }
            },
            {"match": {"synopsis": {"query": q, "operator": "and", "boost": SYNOPSIS_BOOST}}},
        ]
    if cjk:
        clauses += [
            _flat({"match": {"titles_cjk.exact": q}}, EXACT_BOOST),
            _flat({"match_phrase": {"titles_cjk": q}}, PHRASE_BOOST),
            _flat({"match": {"titles_cjk.gram": {"query": q, "operator": "and"}}}, CJK_GRAM_BOOST),
            {"match": {"titles_cjk": {"query": q, "minimum_should_match": "75%", "boost": CJK_WORDS_BOOST}}},
            {"match": {"synopsis_zh": {"query": q, "operator": "and", "boost": SYNOPSIS_BOOST}}},
            {"match": {"tags.text": {"query": q, "operator": "and", "boost": TAG_BOOST}}},
        ]
    return clauses


def popularity(query: dict[str, Any], weight: float) -> dict[str, Any]:
    """``score * (1 + weight * log10(1 + members))``."""
    return {
        "function_score": {
            "query": query,
            "functions": [
                {"weight": 1},
                {
                    "field_value_factor": {"field": "members", "modifier": "log1p", "missing": 0},
                    "weight": weight,
                },
            ],
            "score_mode": "sum",
            "boost_mode": "multiply",
        }
    }


def visibility_filter(include_hidden: bool) -> list[dict[str, Any]]:
    return [] if include_hidden else [{"term": {"is_hidden": False}}]


def sort_clause(sort: str) -> list[Any]:
    tie = [{"members": {"order": "desc"}}, {"mal_id": {"order": "asc"}}]
    if sort == "relevance":
        return ["_score", *tie]
    if sort == "score":
        return [{"score": {"order": "desc", "missing": "_last"}}, *tie]
    if sort == "year":
        return [{"year": {"order": "desc", "missing": "_last"}}, *tie]
    return tie  # members


def search_body(query: SearchQuery) -> dict[str, Any]:
    """Search request: hits (ids only), total, highlights and disjunctive facet counts.

    User filters go to ``post_filter`` so each facet can count with every *other* filter applied
    (choosing "TV" still shows how many movies match).
    """
    base: dict[str, Any] = {"bool": {"filter": visibility_filter(query.include_hidden)}}
    if query.q:
        base["bool"]["should"] = text_clauses(query.q)
        base["bool"]["minimum_should_match"] = 1
    sort = query.effective_sort
    scored = popularity(base, POPULARITY_WEIGHT) if query.q else base
    filters = query.filters.search_clauses()
    aggs: dict[str, Any] = {}
    for name, index_field, size in FACETS:
        others = [c for other, cs in filters.items() if other != name for c in cs]
        aggs[name] = {
            "filter": {"bool": {"filter": others}},
            "aggs": {"values": {"terms": {"field": index_field, "size": size}}},
        }
    body: dict[str, Any] = {
        "query": scored,
        "post_filter": {"bool": {"filter": [c for cs in filters.values() for c in cs]}},
        "aggs": aggs,
        "sort": sort_clause(sort),
        "from": query.offset,
        "size": query.limit,
        "track_total_hits": True,
        "_source": False,
    }
    if query.q:
        body["highlight"] = {
            # The text clauses alone: the highlighter need not look through function_score.
            "highlight_query": {"bool": {"should": base["bool"]["should"], "minimum_should_match": 1}},
            "encoder": "html",
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
            "fields": {
                name: (_HIGHLIGHT_SYNOPSIS if name.startswith("synopsis") else _HIGHLIGHT_TITLE)
                for name in HIGHLIGHT_FIELDS
            },
        }
    return body


def suggest_body(q: str, *, size: int = SUGGEST_SIZE) -> dict[str, Any]:
    """Autocomplete: title prefixes (and typos once a word is complete), popular first.

    Each kind of match adds a fixed amount (exact title > whole phrase > word prefixes > typo), then
    popularity orders anime that matched alike: a few typed letters match many titles equally
    well, and the one people are most likely looking for is the popular one.
    """
    should: list[dict[str, Any]] = []
    cjk = has_cjk(q)
    if has_latin(q) or not cjk:
        should += [
            _flat({"match": {"titles.exact": q}}, EXACT_BOOST),
            # Words in order, the last one possibly unfinished: a phrase over the edge n-grams.
            _flat({"match_phrase": {"titles.prefix": q}}, PHRASE_BOOST),
            _flat({"match": {"titles.prefix": {"query": q, "operator": "and"}}}, PREFIX_BOOST),
            _flat(
                {
                    "match": {
                        "titles": {
                            "query": q,
                            "operator": "and",
                            "fuzziness": "AUTO",
                            "prefix_length": 1,
                            "max_expansions": 20,
                        }
                    }
                },
                FUZZY_BOOST,
            ),
        ]
    if cjk:
        should += [
            _flat({"match": {"titles_cjk.exact": q}}, EXACT_BOOST),
            _flat({"match_phrase": {"titles_cjk": q}}, PHRASE_BOOST),
            _flat({"match": {"titles_cjk.gram": {"query": q, "operator": "and"}}}, PREFIX_BOOST),
        ]
    query = {"bool": {"should": should, "minimum_should_match": 1, "filter": visibility_filter(False)}}
    return {
        "query": popularity(query, SUGGEST_POPULARITY_WEIGHT),
        "size": size,
        "_source": ["mal_id", "titles", "titles_cjk", "display", "type", "year"],
    }
