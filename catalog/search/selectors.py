"""Search and autocomplete over the catalogue.

Both ask the search server first and answer from the database when it is unreachable, slow
(``settings.SEARCH_TIMEOUT_SECONDS``) or rejects the request: the result then says
``degraded=True`` and a warning is logged. Hidden anime reach staff only, and only when asked.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from catalog.documents import all_titles, anime_alias
from catalog.models import Anime, AnimeTitle, Genre
from catalog.search.client import ENGINE_ERRORS, query_client
from catalog.search.queries import (
    FACETS,
    HIGHLIGHT_FIELDS,
    SUGGEST_SIZE,
    SearchQuery,
    search_body,
    suggest_body,
)
from catalog.selectors import _DISPLAY_PREFERENCE, anime_cards, display_language

logger = logging.getLogger(__name__)

_TAG_RE = re.compile(r"</?em>")


@dataclass
class SearchPage:
    count: int
    results: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]]
    degraded: bool
    engine_ms: float = 0.0  # time spent waiting for the search server (or the database fallback)


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


def search_anime(*, query: SearchQuery, language: str | None = None) -> SearchPage:
    """One page of anime matching ``query``: cards in rank order with highlights, plus facets."""
    started = time.perf_counter()
    try:
        response = query_client().search(index=anime_alias(), **search_body(query))
    except ENGINE_ERRORS as exc:
        _warn_degraded("search", exc)
        return _search_database(query=query, language=language)
    engine_ms = (time.perf_counter() - started) * 1000
    hits = response["hits"]["hits"]
    ids = [int(h["_id"]) for h in hits]
    cards = anime_cards(anime_ids=ids, language=language, include_hidden=query.include_hidden)
    highlights = {int(h["_id"]): _merge_highlight(h.get("highlight") or {}) for h in hits}
    hidden = _hidden_ids(ids) if query.include_hidden else set()
    for card in cards:
        card["highlight"] = highlights.get(card["id"], {})
        if query.include_hidden:
            card["is_hidden"] = card["id"] in hidden
    return SearchPage(
        count=int(response["hits"]["total"]["value"]),
        results=cards,
        facets=_facets_from_aggregations(response.get("aggregations") or {}),
        degraded=False,
        engine_ms=engine_ms,
    )


def _hidden_ids(ids: list[int]) -> set[int]:
    return set(Anime.objects.filter(id__in=ids, is_hidden=True).values_list("id", flat=True))


def _merge_highlight(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """Fold the per-field fragments into ``titles`` / ``synopsis``, one fragment per text."""
    merged: dict[str, dict[str, str]] = {}
    for index_field, fragments in raw.items():
        key = HIGHLIGHT_FIELDS.get(index_field)
        if key is None:
            continue
        bucket = merged.setdefault(key, {})
        for fragment in fragments:
            plain = _TAG_RE.sub("", fragment)
            # Keep the fragment with the most marked words for each text.
            if plain not in bucket or fragment.count("<em>") > bucket[plain].count("<em>"):
                bucket[plain] = fragment
    return {key: list(bucket.values()) for key, bucket in merged.items()}


def _facets_from_aggregations(aggs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    facets: dict[str, list[dict[str, Any]]] = {}
    for name, _field, _size in FACETS:
        buckets = (aggs.get(name) or {}).get("values", {}).get("buckets", [])
        facets[name] = [{"value": b["key"], "count": int(b["doc_count"])} for b in buckets]
    return _label_facets(facets)


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


def _search_database(*, query: SearchQuery, language: str | None) -> SearchPage:
    """The fallback: any title containing ``q`` (exact titles, then title prefixes first)."""
    qs: QuerySet[Anime] = Anime.objects.all() if query.include_hidden else Anime.objects.visible()
    qs = query.filters.apply(qs)
    order: tuple[Any, ...] = _DB_ORDER[query.effective_sort]
    if query.q:
        titles = AnimeTitle.objects.filter(anime=OuterRef("pk"))
        qs = qs.filter(
            Q(Exists(titles.filter(text__icontains=query.q)))
            | Q(title__icontains=query.q)
            | Q(title_en__icontains=query.q)
        )
        if query.effective_sort == "relevance":
            qs = qs.annotate(
                exact=Exists(titles.filter(text__iexact=query.q)),
                prefix=Exists(titles.filter(text__istartswith=query.q)),
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
    return SearchPage(count=count, results=cards, facets=_database_facets(qs), degraded=True)


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

    Answers from the search server's stored fields only (no database query).
    """
    started = time.perf_counter()
    try:
        response = query_client().search(index=anime_alias(), **suggest_body(q, size=size))
    except ENGINE_ERRORS as exc:
        _warn_degraded("suggest", exc)
        return _suggest_database(q=q, language=language, size=size)
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
    titles = AnimeTitle.objects.filter(anime=OuterRef("pk"))
    qs = (
        Anime.objects.visible()
        .filter(Exists(titles.filter(text__icontains=q)) | Q(title__icontains=q))
        .annotate(prefix=Exists(titles.filter(text__istartswith=q)))
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
