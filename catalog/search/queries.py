"""Elasticsearch request bodies for search and autocomplete (pure functions, no I/O).

User input only ever reaches ``match`` and ``match_phrase`` clauses, which analyse it as plain
text: Lucene syntax such as ``" ( ) : * ~ ^ \\ /`` is searched as text and never
parsed (no ``query_string``).

Relevance = text match x popularity:

- text match: exact title (``title_keys``: folded or compact, precomputed) >> the words as a
  phrase >> every word (complete or as a prefix; CJK: 75% of the character pairs) >> typo-tolerant
  words (fuzziness AUTO, Latin script only) >> synopsis and tags. Clauses score a constant when
  they match (see ``_flat``), except the Latin fuzzy and synopsis clauses, which keep BM25 so rarer
  words weigh more;
- popularity: ``1 + POPULARITY_WEIGHT * log10(1 + members)`` (``function_score`` with
  ``field_value_factor``), so a well-known title beats an obscure one with the same words while a
  clearly better text match still wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.documents import CJK_RE, has_cjk
from catalog.filters import CatalogFilter
from catalog.search.normalize import compact, fold, to_traditional

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


def title_keys_clause(q: str, boost: float) -> dict[str, Any]:
    """The whole input equals a title, folded or with every space and punctuation mark removed
    (precomputed in ``title_keys``): one exact ``terms`` lookup."""
    keys = sorted({key for key in (fold(q), compact(q)) if key})
    return _flat({"terms": {"title_keys": keys}}, boost)


def title_match_clauses(matches: Mapping[int, float]) -> list[dict[str, Any]]:
    """The title matches decided in the web process (``catalog.search.titles``) as one ``ids``
    lookup per distinct score, each scoring that amount: ``{anime id: score}`` -> clauses."""
    groups: dict[float, list[int]] = defaultdict(list)
    for anime_id, score in matches.items():
        groups[score].append(anime_id)
    return [
        _flat({"ids": {"values": [str(i) for i in sorted(ids)]}}, score)
        for score, ids in sorted(groups.items(), reverse=True)
    ]


def text_clauses(
    q: str, *, synopsis_zh: bool = False, title_matches: Mapping[int, float] | None = None
) -> list[dict[str, Any]]:
    """The scoring clauses for ``q``; chosen by script so CJK input never goes through fuzziness.

    ``q`` is folded first (``catalog.search.normalize.fold``), as the index's folded titles are:
    either Chinese script, full-width letters and accents all match. ``title_matches`` (anime id
    -> score, see ``catalog.search.titles``) replaces the analysed title clauses with ids lookups.
    """
    q = fold(q)
    clauses: list[dict[str, Any]] = [title_keys_clause(q, EXACT_BOOST)]
    cjk = has_cjk(q)
    latin = has_latin(q) or not cjk
    if title_matches is not None:
        clauses += title_match_clauses(title_matches)
        if latin:
            clauses.append({"match": {"synopsis": {"query": q, "operator": "and", "boost": SYNOPSIS_BOOST}}})
        if cjk:
            clauses += _cjk_text_clauses(q, synopsis_zh=synopsis_zh)
        return clauses
    if latin:
        clauses += [
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
        # Constant amounts here too: BM25 over the many CJK titles, aliases and tags of a series
        # would otherwise rank a sequel (with fewer titles) above the original.
        if len(CJK_RE.findall(q)) > 1:
            clauses += [
                _flat({"match_phrase": {"titles_cjk": q}}, PHRASE_BOOST),
                _flat(
                    {"match": {"titles_cjk": {"query": q, "minimum_should_match": "75%"}}}, CJK_WORDS_BOOST
                ),
            ]
        else:  # one character: only the single-character grams hold it
            clauses.append(_flat({"match": {"titles_cjk.gram": {"query": q}}}, CJK_WORDS_BOOST))
        clauses += _cjk_text_clauses(q, synopsis_zh=synopsis_zh)
    return clauses


def _cjk_text_clauses(q: str, *, synopsis_zh: bool) -> list[dict[str, Any]]:
    """CJK input beyond the titles: a tag typed whole, and the Chinese synopses when asked."""
    # A tag typed whole ("热血"): one keyword lookup, where matching the analysed tag text cost the
    # emulator about as much as a title clause.
    clauses: list[dict[str, Any]] = [_flat({"terms": {"tags": sorted({q, to_traditional(q)})}}, TAG_BOOST)]
    if synopsis_zh:
        # Chinese synopses are long: analysing them costs more than every title clause together,
        # so they are searched only when no title matched (see ``synopsis_retry``).
        clauses.append(_flat({"match": {"synopsis_zh": {"query": q, "operator": "and"}}}, SYNOPSIS_BOOST))
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


def synopsis_retry(query: SearchQuery) -> bool:
    """Whether a search that found nothing is worth asking again with the Chinese synopses."""
    return bool(query.q) and has_cjk(query.q)


def _base_query(
    query: SearchQuery, *, synopsis_zh: bool = False, title_matches: Mapping[int, float] | None = None
) -> dict[str, Any]:
    base: dict[str, Any] = {"bool": {"filter": visibility_filter(query.include_hidden)}}
    if query.q:
        base["bool"]["should"] = text_clauses(query.q, synopsis_zh=synopsis_zh, title_matches=title_matches)
        base["bool"]["minimum_should_match"] = 1
    return base


def _facet_aggregations(query: SearchQuery) -> dict[str, Any]:
    """Disjunctive facet counts: each facet counts with every *other* filter applied.

    A facet with no other filter to apply is a plain ``terms`` aggregation, without the ``filter``
    wrapper (one aggregation instead of two: the emulator charges for each).
    """
    filters = query.filters.search_clauses()
    aggs: dict[str, Any] = {}
    for name, index_field, size in FACETS:
        others = [c for other, cs in filters.items() if other != name for c in cs]
        terms = {"terms": {"field": index_field, "size": size}}
        aggs[name] = {"filter": {"bool": {"filter": others}}, "aggs": {"values": terms}} if others else terms
    return aggs


def search_body(
    query: SearchQuery,
    *,
    facets: bool = True,
    synopsis_zh: bool = False,
    title_matches: Mapping[int, float] | None = None,
) -> dict[str, Any]:
    """Search request: hit ids and total, plus disjunctive facet counts when ``facets``.

    User filters go to ``post_filter`` so each facet can count with every *other* filter applied
    (choosing "TV" still shows how many movies match). Highlights are not asked of the engine
    (``catalog.search.highlight`` marks the page's texts). ``title_matches``: the title stage's
    answer (``catalog.search.titles``), sent as ids lookups instead of analysed title clauses.
    """
    base = _base_query(query, synopsis_zh=synopsis_zh, title_matches=title_matches)
    filters = query.filters.search_clauses()
    body: dict[str, Any] = {
        "query": popularity(base, POPULARITY_WEIGHT) if query.q else base,
        "post_filter": {"bool": {"filter": [c for cs in filters.values() for c in cs]}},
        "sort": sort_clause(query.effective_sort),
        "from": query.offset,
        "size": query.limit,
        "track_total_hits": True,
        "_source": False,
    }
    if facets:
        body["aggs"] = _facet_aggregations(query)
    return body


def facets_body(query: SearchQuery) -> dict[str, Any]:
    """What the facet counts of ``query`` depend on (not the page nor the sort): a cache key."""
    return {"query": _base_query(query), "aggs": _facet_aggregations(query), "size": 0}


def suggest_body(q: str, *, size: int = SUGGEST_SIZE) -> dict[str, Any]:
    """Autocomplete: title prefixes (and typos once a word is complete), popular first.

    Each kind of match adds a fixed amount (exact title > whole phrase > word prefixes > typo), then
    popularity orders anime that matched alike: a few typed letters match many titles equally
    well, and the one people are most likely looking for is the popular one.
    """
    q = fold(q)
    should: list[dict[str, Any]] = [title_keys_clause(q, EXACT_BOOST)]
    cjk = has_cjk(q)
    if has_latin(q) or not cjk:
        should += [
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
            _flat({"match_phrase": {"titles_cjk": q}}, PHRASE_BOOST),
            _flat({"match": {"titles_cjk.gram": {"query": q, "operator": "and"}}}, PREFIX_BOOST),
        ]
    query = {"bool": {"should": should, "minimum_should_match": 1, "filter": visibility_filter(False)}}
    return {
        "query": popularity(query, SUGGEST_POPULARITY_WEIGHT),
        "size": size,
        "_source": ["mal_id", "titles", "titles_cjk", "display", "type", "year"],
    }
