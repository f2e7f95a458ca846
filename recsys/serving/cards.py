"""Anime cards for serving, cached per process for a minute.

Recommendations and similar lists keep showing the same few thousand anime; caching their cards
takes the catalogue queries out of almost every request. Hidden and unknown anime are cached as
misses; an operator's edit (hiding included) empties the cache of every process within seconds
(:mod:`recsys.serving.freshness`), ``CARD_TTL_SECONDS`` bounds it while Redis is down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from animesite.process_cache import process_cache
from catalog.models import Anime
from catalog.selectors import anime_cards, display_language
from recsys.serving.freshness import catalogue_check

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

CARD_TTL_SECONDS = 600


def cards_for(*, anime_ids: Sequence[int], language: str | None) -> list[dict[str, Any]]:
    """Cards of the visible anime among ``anime_ids``, in order (shared: copy before changing)."""
    catalogue_check()
    lang = display_language(language)

    def load(keys: list[tuple[str, str, int]]) -> dict[tuple[str, str, int], Any]:
        cards = anime_cards(anime_ids=[key[2] for key in keys], language=lang)
        return {("card", lang, card["id"]): card for card in cards}

    found = process_cache.get_many([("card", lang, i) for i in anime_ids], CARD_TTL_SECONDS, load)
    cards = (found.get(("card", lang, i)) for i in anime_ids)
    return [card for card in cards if card is not None]


def anime_is_visible(*, anime_id: int, user: User | AnonymousUser | None) -> bool:
    """Whether ``user`` may see the anime (staff see hidden anime too)."""
    if user is not None and user.is_authenticated and user.is_staff:
        return Anime.objects.filter(id=anime_id).exists()
    return bool(cards_for(anime_ids=[anime_id], language=None))
