"""Reads of the catalogue shared by every list on the site (search, rankings, home, recommendations)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Prefetch
from django.utils import translation

from catalog.models import Anime, AnimeTitle

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
    """Everything an anime card needs, in three queries whatever the number of anime."""
    return Anime.objects.prefetch_related(
        "genres",
        Prefetch("titles", queryset=AnimeTitle.objects.only("id", "anime_id", "text", "language", "kind")),
    )


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
