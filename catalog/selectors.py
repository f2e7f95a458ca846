"""Reads of the catalogue shared by every list on the site (search, rankings, home, recommendations)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import F, Prefetch, Q
from django.utils import translation

from catalog.models import Anime, AnimeTitle, Genre, Tag

if TYPE_CHECKING:
    from catalog.filters import CatalogFilter

# Which AnimeTitle language to show first for each UI language.
_DISPLAY_PREFERENCE = {
    "zh-hans": ("zh_hans", "zh_hant", "ja", "title"),
    "zh-hant": ("zh_hant", "zh_hans", "ja", "title"),
    "ja": ("ja", "title"),
    "en": ("en", "title"),
}


def display_language(language: str | None = None) -> str:
    lang = (language or translation.get_language() or "en").lower()
    if lang.startswith("zh"):
        return "zh-hant" if ("hant" in lang or lang in {"zh-tw", "zh-hk"}) else "zh-hans"
    return "ja" if lang.startswith("ja") else "en"


def display_title(anime: Anime, language: str | None = None) -> str:
    """The title to show to a reader of ``language``: a title in their script when one exists."""
    for field in _DISPLAY_PREFERENCE[display_language(language)]:
        value = anime.title if field == "title" else getattr(anime, f"title_{field}")
        if value:
            return str(value)
    return anime.title


def anime_card_queryset() -> Any:
    """Everything an anime card needs, in two queries whatever the number of anime."""
    return Anime.objects.prefetch_related("genres")


def anime_card(anime: Anime, language: str | None = None) -> dict[str, Any]:
    return {
        "id": anime.id,
        "mal_id": anime.mal_id,
        "title": display_title(anime, language),
        "titles": {
            "main": anime.title,
            "en": anime.title_en,
            "ja": anime.title_ja,
            "zh_hans": anime.title_zh_hans,
            "zh_hant": anime.title_zh_hant,
        },
        "cover_url": anime.cover_url,
        "type": anime.type,
        "episodes": anime.episodes,
        "year": anime.year,
        "season": anime.season,
        "score": anime.score,
        "members": anime.members,
        "genres": [g.name for g in anime.genres.all()],
    }


def anime_cards(
    *, anime_ids: Sequence[int], language: str | None = None, include_hidden: bool = False
) -> list[dict[str, Any]]:
    """Cards for ``anime_ids`` in the same order; unknown (or hidden) ids are dropped."""
    qs = Anime.objects.prefetch_related("genres").filter(id__in=list(anime_ids))
    if not include_hidden:
        qs = qs.filter(is_hidden=False)
    by_id = {a.id: a for a in qs}
    return [anime_card(by_id[i], language) for i in anime_ids if i in by_id]


def anime_cards_from(objects: Iterable[Anime], language: str | None = None) -> list[dict[str, Any]]:
    return [anime_card(a, language) for a in objects]


# --- Catalogue browsing: the list and detail endpoints ------------------------------------

# Sort keys accepted by the catalogue list; every one ends on the id so pages never overlap.
ANIME_ORDERINGS: dict[str, tuple[Any, ...]] = {
    "score": (F("score").asc(nulls_last=True), "id"),
    "-score": (F("score").desc(nulls_last=True), "id"),
    "members": ("members", "id"),
    "-members": ("-members", "id"),
    "year": (F("year").asc(nulls_last=True), F("aired_from").asc(nulls_last=True), "id"),
    "-year": (F("year").desc(nulls_last=True), F("aired_from").desc(nulls_last=True), "id"),
    "title": ("title", "id"),
    "-title": ("-title", "id"),
}
ANIME_DEFAULT_ORDERING = "-members"


def _split_values(values: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        cleaned = value.strip()
        if cleaned:
            seen.setdefault(cleaned.casefold(), cleaned)
    return list(seen.values())


def genres_resolve(*, values: Iterable[str]) -> tuple[list[Genre], list[str]]:
    """Genres named by slug or by name (either case), and the values that name none."""
    wanted = _split_values(values)
    if not wanted:
        return [], []
    query = Q()
    for value in wanted:
        query |= Q(slug__iexact=value) | Q(name__iexact=value)
    genres = list(Genre.objects.filter(query))
    found: list[Genre] = []
    unknown: list[str] = []
    for value in wanted:
        key = value.casefold()
        match = next((g for g in genres if key in (g.slug.casefold(), g.name.casefold())), None)
        if match is None:
            unknown.append(value)
        elif match not in found:
            found.append(match)
    return found, unknown


def tags_resolve(*, values: Iterable[str]) -> tuple[list[Tag], list[str]]:
    """Tags named exactly (ignoring case), and the values that name none."""
    wanted = _split_values(values)
    if not wanted:
        return [], []
    query = Q()
    for value in wanted:
        query |= Q(name__iexact=value)
    tags = list(Tag.objects.filter(query))
    found: list[Tag] = []
    unknown: list[str] = []
    for value in wanted:
        match = next((t for t in tags if t.name.casefold() == value.casefold()), None)
        if match is None:
            unknown.append(value)
        elif match not in found:
            found.append(match)
    return found, unknown


def anime_list(*, user: Any = None, filters: CatalogFilter | None = None, ordering: str | None = None) -> Any:
    """Anime visible to ``user`` that pass ``filters``, ready for ``anime_card``."""
    qs = anime_card_queryset().visible_to(user)
    if filters is not None:
        qs = filters.apply(qs)
    return qs.order_by(*ANIME_ORDERINGS[ordering or ANIME_DEFAULT_ORDERING])


def anime_detail_queryset() -> Any:
    return Anime.objects.prefetch_related(
        "genres",
        "tags",
        Prefetch("titles", queryset=AnimeTitle.objects.only("id", "anime_id", "text", "language", "kind")),
        "external_ids",
    )


def anime_get(*, anime_id: int, user: Any = None) -> Anime | None:
    """The anime with everything its detail page shows, or ``None`` when unknown or hidden from ``user``."""
    return anime_detail_queryset().visible_to(user).filter(id=anime_id).first()


# Known sites: normalised site name -> (label, URL template).
_EXTERNAL_SITES: dict[str, tuple[str, str]] = {
    "mal": ("MyAnimeList", "https://myanimelist.net/anime/{id}"),
    "myanimelist": ("MyAnimeList", "https://myanimelist.net/anime/{id}"),
    "anilist": ("AniList", "https://anilist.co/anime/{id}"),
    "bangumi": ("Bangumi", "https://bgm.tv/subject/{id}"),
    "bgm": ("Bangumi", "https://bgm.tv/subject/{id}"),
    "bangumitv": ("Bangumi", "https://bgm.tv/subject/{id}"),
    "anidb": ("AniDB", "https://anidb.net/anime/{id}"),
    "tmdb": ("TMDB", "https://www.themoviedb.org/{id}"),
    "annict": ("Annict", "https://annict.com/works/{id}"),
    "syobocal": ("Syobocal", "https://cal.syoboi.jp/tid/{id}"),
}


def external_link(*, site: str, external_id: str) -> dict[str, Any]:
    """A link to the anime on another site; ``url`` is ``None`` for sites without a known address."""
    key = "".join(ch for ch in site.casefold() if ch.isalnum())
    known = _EXTERNAL_SITES.get(key)
    if known is None:
        return {"site": site, "name": site, "external_id": external_id, "url": None}
    name, template = known
    return {"site": site, "name": name, "external_id": external_id, "url": template.format(id=external_id)}


_TITLE_LANGUAGE_ORDER = [choice.value for choice in AnimeTitle.Language]
_TITLE_KIND_ORDER = [choice.value for choice in AnimeTitle.Kind]


def anime_titles_by_language(anime: Anime) -> dict[str, list[dict[str, str]]]:
    """Every known title grouped by language (romaji, English, Japanese, Chinese, ...), main first."""

    def rank(title: AnimeTitle) -> tuple[int, int, int]:
        lang = _TITLE_LANGUAGE_ORDER.index(title.language) if title.language in _TITLE_LANGUAGE_ORDER else 99
        kind = _TITLE_KIND_ORDER.index(title.kind) if title.kind in _TITLE_KIND_ORDER else 99
        return lang, kind, title.id

    grouped: dict[str, list[dict[str, str]]] = {}
    for title in sorted(anime.titles.all(), key=rank):
        grouped.setdefault(title.language, []).append({"text": title.text, "kind": title.kind})
    return grouped


def anime_detail(anime: Anime, language: str | None = None) -> dict[str, Any]:
    """The card plus everything the detail page shows; ``anime`` comes from ``anime_get``."""
    return {
        **anime_card(anime, language),
        "all_titles": anime_titles_by_language(anime),
        "genre_items": [{"name": g.name, "slug": g.slug} for g in anime.genres.all()],
        "tags": [t.name for t in anime.tags.all()],
        "synopsis": anime.synopsis,
        "synopsis_zh": anime.synopsis_zh,
        "aired_from": anime.aired_from,
        "aired_to": anime.aired_to,
        "official_site": anime.official_site,
        "external_links": [
            external_link(site=e.site, external_id=e.external_id) for e in anime.external_ids.all()
        ],
        "is_featured": anime.is_featured,
        "is_hidden": anime.is_hidden,
    }


# Renewed after every committed catalogue edit (``catalog.services.catalog_generation_renew``).
CATALOG_GENERATION_KEY = "catalog:generation"


def catalog_generation() -> str:
    """The catalogue's current generation ("0" before the first edit, and while Redis is down)."""
    value = cache.get(CATALOG_GENERATION_KEY)
    return "0" if value is None else str(value)
