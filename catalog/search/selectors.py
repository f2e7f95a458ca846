"""Search and autocomplete over the catalogue.

Both ask the search server first and answer from the database when it is unreachable, slow
(``settings.SEARCH_TIMEOUT_SECONDS``) or rejects the request: the result then says
``degraded=True`` and a warning is logged. Hidden anime reach staff only, and only when asked.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
import operator
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from catalog.documents import all_titles, anime_alias
from catalog.models import Anime, AnimeTitle, Genre
from catalog.search import titles, typeahead
from catalog.search.client import ENGINE_ERRORS, EngineUnavailable, engine_gate, query_client
from catalog.search.flights import flights
from catalog.search.highlight import Highlighter
from catalog.search.normalize import fold, to_traditional
from catalog.search.queries import (
    FACETS,
    SUGGEST_SIZE,
    SearchQuery,
    facets_body,
    search_body,
    suggest_body,
    synopsis_retry,
)
from catalog.selectors import _DISPLAY_PREFERENCE, anime_cards, catalog_generation, display_language

logger = logging.getLogger(__name__)

# The engine failed, or was not asked (see catalog.search.client.EngineGate): answer from the database.
SEARCH_ERRORS: tuple[type[Exception], ...] = (*ENGINE_ERRORS, EngineUnavailable)


@dataclass
class SearchPage:
    count: int
    results: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]]
    degraded: bool
    engine_ms: float = 0.0  # time spent waiting for the search server (also when it then failed)


@dataclass
class Suggestions:
    results: list[dict[str, Any]] = field(default_factory=list)
    degraded: bool = False
    engine_ms: float = 0.0


def _warn_degraded(what: str, exc: Exception) -> None:
    logger.warning(
        "search server unavailable for %s (%s: %s); answering from the database",
        what,
        type(exc).__name__,
        str(exc)[:200],
    )


# --- search -----------------------------------------------------------------------------------


def search_anime(*, query: SearchQuery, language: str | None = None, facets: bool = True) -> SearchPage:
    """One page of anime matching ``query``: cards in rank order with highlights, plus facets
    (empty lists when ``facets`` is false).

    The engine's answer (hit ids, total, facet counts) is kept in the cache for
    ``SEARCH_CACHE_SECONDS`` under the catalogue generation, facets apart from the hits so that
    the next page or another sort reuses them; highlights are computed here for the page
    (``catalog.search.highlight``).
    """
    generation = _generation()
    facets_key = _cache_key("facets", generation, facets_body(query)) if facets else None
    cached_facets = _cache_get(facets_key) if facets_key else None
    want_aggs = facets and cached_facets is None
    hits_key = _cache_key("hits", generation, search_body(query, facets=False))
    cached_hits = _cache_get(hits_key)
    engine_ms = 0.0
    if cached_hits is None or want_aggs:
        started = time.perf_counter()
        try:
            # Identical searches in flight share one engine request (catalog.search.flights).
            answer = flights.run(
                hits_key.replace("search:hits:", "search:flight:", 1) + (":facets" if want_aggs else ""),
                lambda: _engine_answer(query, want_aggs=want_aggs, hits_key=hits_key, facets_key=facets_key),
                wait_seconds=_flight_wait_seconds(),
            )
        except SEARCH_ERRORS as exc:
            waited_ms = (time.perf_counter() - started) * 1000
            _warn_degraded("search", exc)
            page = _search_database(query=query, language=language, facets=facets)
            page.engine_ms = waited_ms  # the wait before giving up, for Server-Timing
            return page
        engine_ms = (time.perf_counter() - started) * 1000
        cached_hits = answer["hits"]
        if want_aggs:
            cached_facets = answer["facets"]
    ids: list[int] = cached_hits["ids"]
    cards = anime_cards(anime_ids=ids, language=language, include_hidden=query.include_hidden)
    highlights = _highlights(query.q, ids) if query.q else {}
    hidden = _hidden_ids(ids) if query.include_hidden else set()
    for card in cards:
        card["highlight"] = highlights.get(card["id"], {})
        if query.include_hidden:
            card["is_hidden"] = card["id"] in hidden
    return SearchPage(
        count=int(cached_hits["count"]),
        results=cards,
        facets=_label_facets(copy.deepcopy(cached_facets)) if cached_facets is not None else _no_facets(),
        degraded=False,
        engine_ms=engine_ms,
    )


def _engine_answer(
    query: SearchQuery, *, want_aggs: bool, hits_key: str, facets_key: str | None
) -> dict[str, Any]:
    """Ask the engine (through the gate) for the hits, and the facet counts when ``want_aggs``;
    cache them. Raises one of :data:`SEARCH_ERRORS` when the engine fails or is not asked."""
    matches = _title_stage(query)
    body = search_body(query, facets=want_aggs, title_matches=matches)
    response = engine_gate.call(lambda: query_client().search(index=anime_alias(), **body))
    if response["hits"]["total"]["value"] == 0 and synopsis_retry(query):
        deeper = search_body(query, facets=want_aggs, synopsis_zh=True, title_matches=matches)
        response = engine_gate.call(lambda: query_client().search(index=anime_alias(), **deeper))
    answer: dict[str, Any] = {
        "hits": {
            "ids": [int(h["_id"]) for h in response["hits"]["hits"]],
            "count": int(response["hits"]["total"]["value"]),
        }
    }
    _cache_set(hits_key, answer["hits"])
    if want_aggs:
        answer["facets"] = _raw_facets(response.get("aggregations") or {})
        _cache_set(facets_key, answer["facets"])
    return answer


def _flight_wait_seconds() -> float:
    """The longest an engine answer can take (a slot, a search and its retry): how long a
    request waits for an identical one in flight."""
    return float(settings.SEARCH_QUEUE_SECONDS) + 2 * float(settings.SEARCH_TIMEOUT_SECONDS) + 1.0


def _title_stage(query: SearchQuery) -> dict[int, float] | None:
    """The title matches decided in this process (``catalog.search.titles``), or ``None`` when
    the engine must match the titles itself: no words, a staff search including hidden anime
    (the process's index holds visible anime only), the index not built yet, or too many
    matches."""
    if not query.q or query.include_hidden or not settings.SEARCH_TITLE_STAGE:
        return None
    index = typeahead.current()
    return titles.title_matches(index, query.q) if index is not None else None


def _generation() -> str:
    try:
        return catalog_generation()
    except Exception:
        return "0"


def _cache_key(kind: str, generation: str, body: dict[str, Any]) -> str:
    digest = hashlib.sha1(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"search:{kind}:{settings.ELASTICSEARCH_INDEX_PREFIX}:{generation}:{digest}"


def _cache_get(key: str | None) -> Any:
    if key is None or settings.SEARCH_CACHE_SECONDS <= 0:
        return None
    try:
        return cache.get(key)
    except Exception:  # the cache is an optimisation: without Redis the engine answers
        return None


def _cache_set(key: str | None, value: Any) -> None:
    if key is None or settings.SEARCH_CACHE_SECONDS <= 0:
        return
    try:
        cache.set(key, value, timeout=settings.SEARCH_CACHE_SECONDS)
    except Exception:
        logger.debug("search cache write failed", exc_info=True)


def _no_facets() -> dict[str, list[dict[str, Any]]]:
    return {name: [] for name, _field, _size in FACETS}


def _highlights(q: str, ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """``{anime id: {"titles": [...], "synopsis": [...]}}`` for the page's anime."""
    if not ids:
        return {}
    marker = Highlighter(q)
    out: dict[int, dict[str, list[str]]] = {}
    anime = (
        Anime.objects.filter(id__in=ids)
        .only(
            "id", "title", "title_en", "title_ja", "title_zh_hans", "title_zh_hant", "synopsis", "synopsis_zh"
        )
        .prefetch_related("titles")
    )
    for item in anime:
        found: dict[str, list[str]] = {}
        titles = marker.titles(all_titles(item))
        if titles:
            found["titles"] = titles
        fragments = [f for f in (marker.fragment(item.synopsis), marker.fragment(item.synopsis_zh)) if f]
        if fragments:
            found["synopsis"] = fragments[:1]
        out[item.id] = found
    return out


def _hidden_ids(ids: list[int]) -> set[int]:
    return set(Anime.objects.filter(id__in=ids, is_hidden=True).values_list("id", flat=True))


def _raw_facets(aggs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    facets: dict[str, list[dict[str, Any]]] = {}
    for name, _field, _size in FACETS:
        facet = aggs.get(name) or {}
        buckets = facet.get("values", facet).get("buckets", [])  # filtered, or a plain terms one
        facets[name] = [{"value": b["key"], "count": int(b["doc_count"])} for b in buckets]
    return facets


def _facets_from_aggregations(aggs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return _label_facets(_raw_facets(aggs))


def _label_facets(facets: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Add display labels and a stable order: years newest first, the rest by count."""
    slugs = [b["value"] for b in facets.get("genre", [])]
    names = dict(Genre.objects.filter(slug__in=slugs).values_list("slug", "name")) if slugs else {}
    types = dict(Anime.Type.choices)
    seasons = dict(Anime.Season.choices)
    for bucket in facets.get("genre", []):
        bucket["name"] = names.get(bucket["value"], bucket["value"])
    for bucket in facets.get("type", []):
        bucket["name"] = str(types.get(bucket["value"], bucket["value"]))
    for bucket in facets.get("season", []):
        bucket["name"] = str(seasons.get(bucket["value"], bucket["value"]))
    for bucket in facets.get("year", []):
        bucket["name"] = str(bucket["value"])
    facets["year"] = sorted(facets.get("year", []), key=lambda b: -int(b["value"]))
    for name in ("genre", "type", "season"):
        facets[name] = sorted(facets.get(name, []), key=lambda b: (-b["count"], str(b["name"])))
    return facets


_DB_ORDER = {
    "relevance": ("-members", "mal_id"),
    "members": ("-members", "mal_id"),
    "score": ("-score", "-members", "mal_id"),
    "year": ("-year", "-members", "mal_id"),
}


def _title_variants(q: str) -> list[str]:
    """``q`` as typed, folded (simplified Chinese, half-width, lower case) and in traditional
    Chinese: the spellings the database's ``LIKE`` is tried with when the title index is not
    there."""
    folded = fold(q)
    variants = [q, unicodedata.normalize("NFKC", q), folded, to_traditional(folded)]
    return list(dict.fromkeys(v for v in variants if v))


def _title_filter(q: str) -> tuple[Q, Q, Q]:
    """(contains, equals, starts) conditions over every title column, for each spelling of ``q``."""
    titles = AnimeTitle.objects.filter(anime=OuterRef("pk"))
    variants = _title_variants(q)
    contains = functools.reduce(
        operator.or_,
        (
            Q(Exists(titles.filter(text__icontains=v))) | Q(title__icontains=v) | Q(title_en__icontains=v)
            for v in variants
        ),
    )
    equals = functools.reduce(operator.or_, (Q(Exists(titles.filter(text__iexact=v))) for v in variants))
    starts = functools.reduce(operator.or_, (Q(Exists(titles.filter(text__istartswith=v))) for v in variants))
    return contains, equals, starts


def _search_database(*, query: SearchQuery, language: str | None, facets: bool = True) -> SearchPage:
    """The fallback: anime with a title containing ``q`` (equal titles, then title starts first).

    Titles are compared as the engine compares them (``catalog.search.normalize``: either Chinese
    script, full-width, case, accents, spaces and punctuation ignored) through the process's title
    index when it is built, else with the database's ``LIKE`` over the spellings of
    :func:`_title_variants`.
    """
    qs: QuerySet[Anime] = Anime.objects.all() if query.include_hidden else Anime.objects.visible()
    qs = query.filters.apply(qs)
    order: tuple[Any, ...] = _DB_ORDER[query.effective_sort]
    titles_index = typeahead.current() if query.q and not query.include_hidden else None
    if query.q and titles_index is not None:
        ranks = titles_index.containing(query.q)
        qs = qs.filter(id__in=list(ranks))
        if query.effective_sort == "relevance":
            by_rank: dict[int, list[int]] = {}
            for anime_id, rank in ranks.items():
                by_rank.setdefault(rank, []).append(anime_id)
            qs = qs.annotate(
                match_rank=Case(
                    *(When(id__in=ids, then=Value(rank)) for rank, ids in sorted(by_rank.items())),
                    default=Value(3),
                    output_field=IntegerField(),
                )
            )
            order = ("match_rank", *order)
    elif query.q:
        contains, equals, starts = _title_filter(query.q)
        qs = qs.filter(contains)
        if query.effective_sort == "relevance":
            qs = qs.annotate(
                exact=ExpressionWrapper(equals, output_field=BooleanField()),
                prefix=ExpressionWrapper(starts, output_field=BooleanField()),
            )
            order = ("-exact", "-prefix", *order)
    count = qs.count()
    ids = list(qs.order_by(*order).values_list("id", flat=True)[query.offset : query.offset + query.limit])
    cards = anime_cards(anime_ids=ids, language=language, include_hidden=query.include_hidden)
    hidden = _hidden_ids(ids) if query.include_hidden else set()
    for card in cards:
        card["highlight"] = {}
        if query.include_hidden:
            card["is_hidden"] = card["id"] in hidden
    return SearchPage(
        count=count,
        results=cards,
        facets=_database_facets(qs) if facets else _no_facets(),
        degraded=True,
    )


def _database_facets(qs: QuerySet[Anime]) -> dict[str, list[dict[str, Any]]]:
    ids = qs.order_by().values("id")
    genre_counts = (
        Genre.objects.filter(anime__in=ids).values("slug").annotate(n=Count("anime", distinct=True))
    )
    facets: dict[str, list[dict[str, Any]]] = {
        "genre": [{"value": g["slug"], "count": g["n"]} for g in genre_counts]
    }
    for name, column in (("type", "type"), ("year", "year"), ("season", "season")):
        rows = qs.order_by().exclude(**{f"{column}__isnull": True}).values(column).annotate(n=Count("id"))
        facets[name] = [{"value": r[column], "count": r["n"]} for r in rows if r[column] not in ("", None)]
    return _label_facets(facets)


# --- suggest ----------------------------------------------------------------------------------


def _label(display: dict[str, Any], language: str | None) -> str:
    """The display title in the reader's language when the anime has one (see catalog.selectors)."""
    lang = display_language(language)
    policy = (
        display.get("display_en")
        if lang == "en"
        else display.get("display_zh")
        if lang.startswith("zh")
        else ""
    )
    if policy:
        return str(policy)
    for key in _DISPLAY_PREFERENCE[display_language(language)]:
        value = display.get("main" if key == "title" else key)
        if value:
            return str(value)
    return str(display.get("main") or "")


def _matched_title(q: str, titles: list[str]) -> str:
    """The title the input matched best: one starting with it, else one containing it."""
    needle = q.casefold()
    folded = [(t, t.casefold()) for t in titles]
    for title, key in folded:
        if key.startswith(needle):
            return title
    for title, key in folded:
        if needle in key:
            return title
    words = needle.split()
    for title, key in folded:
        if words and any(key.startswith(w) or f" {w}" in key for w in words):
            return title
    return titles[0] if titles else ""


def suggest_anime(*, q: str, language: str | None = None, size: int = SUGGEST_SIZE) -> Suggestions:
    """Autocomplete: up to ``size`` visible anime whose titles start with (or nearly match) ``q``.

    Answers from the process's title index (``catalog.search.typeahead``: no network round trip)
    once it is built, from the search server's stored fields before that, and from the database
    when the server fails too.
    """
    started = time.perf_counter()
    titles_index = typeahead.current()
    if titles_index is not None:
        return Suggestions(
            results=[
                {
                    "id": entry.anime_id,
                    "mal_id": entry.mal_id,
                    "title": _label(entry.display, language),
                    "matched": matched,
                    "type": entry.type,
                    "year": entry.year,
                    "cover_url": entry.cover_url,
                }
                for entry, matched in titles_index.suggest(q, size=size)
            ],
            degraded=False,
            engine_ms=0.0,
        )
    try:
        response = engine_gate.call(
            lambda: query_client().search(index=anime_alias(), **suggest_body(q, size=size))
        )
    except SEARCH_ERRORS as exc:
        waited_ms = (time.perf_counter() - started) * 1000
        _warn_degraded("suggest", exc)
        suggestions = _suggest_database(q=q, language=language, size=size)
        suggestions.engine_ms = waited_ms
        return suggestions
    engine_ms = (time.perf_counter() - started) * 1000
    results = []
    for hit in response["hits"]["hits"]:
        source = hit.get("_source") or {}
        display = source.get("display") or {}
        titles = [*(source.get("titles") or []), *(source.get("titles_cjk") or [])]
        results.append(
            {
                "id": int(hit["_id"]),
                "mal_id": source.get("mal_id"),
                "title": _label(display, language),
                "matched": _matched_title(q, titles),
                "type": source.get("type"),
                "year": source.get("year"),
                "cover_url": display.get("cover_url") or "",
            }
        )
    return Suggestions(results=results, degraded=False, engine_ms=engine_ms)


def _suggest_database(*, q: str, language: str | None, size: int) -> Suggestions:
    contains, _equals, starts = _title_filter(q)
    qs = (
        Anime.objects.visible()
        .filter(contains)
        .annotate(prefix=ExpressionWrapper(starts, output_field=BooleanField()))
        .order_by("-prefix", "-members", "mal_id")
        .prefetch_related("titles")[:size]
    )
    results = []
    for anime in qs:
        display = {
            "main": anime.title,
            "en": anime.title_en,
            "ja": anime.title_ja,
            "zh_hans": anime.title_zh_hans,
            "zh_hant": anime.title_zh_hant,
        }
        results.append(
            {
                "id": anime.id,
                "mal_id": anime.mal_id,
                "title": _label(display, language),
                "matched": _matched_title(q, all_titles(anime)),
                "type": anime.type,
                "year": anime.year,
                "cover_url": anime.cover_url,
            }
        )
    return Suggestions(results=results, degraded=True)
