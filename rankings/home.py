"""The home page in one request: featured, this season, trending, recommendations.

No anime appears in two of the season, trending and popular-and-diverse sections (each leaves out
what the sections above it show).

Everything but the recommendations is the same for every reader of a language, so it is built
once and cached for ``HOME_CACHE_TTL`` seconds. Recommendations come from the recommender
(``recsys.serving.recommendations.recommend_for_user``) for signed-in users; anonymous readers,
and everyone whenever the recommender fails, get the one popular-and-diverse list
(``recsys.serving.recommendations.popular_diverse_items``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from catalog.etl import seasons
from catalog.filters import CatalogFilter
from catalog.selectors import anime_card_queryset, anime_cards_from, display_language, season_anime
from favorites.models import CollectionEntry
from rankings.formulas.base import CACHE_VERSION, RankingKind
from rankings.selectors import (
    ranking_get,
    ranking_page_cards,
)
from recsys.serving.recommendations import popular_diverse_items, recommend_for_user

logger = logging.getLogger(__name__)

HOME_SECTION_SIZE = 12
HOME_CACHE_TTL = 60
SEASON_MIN_ANIME = 8


def this_season(*, now: datetime, language: str) -> dict[str, Any]:
    """The real current season (today's date in Japan): the anime that began in it, most popular
    first; when fewer than ``SEASON_MIN_ANIME`` did, the anime airing during it (continuing from
    earlier seasons) follow. ``scope`` says which: ``new``, ``new_and_airing`` or ``airing``."""
    current = seasons.current_season(now)
    cards = _cards(season_anime(season=current, scope="new"), language)
    new_count = len(cards)
    if new_count < SEASON_MIN_ANIME:
        airing = season_anime(season=current, scope="airing").exclude(id__in=[c["id"] for c in cards])
        cards += anime_cards_from(airing[: HOME_SECTION_SIZE - new_count], language)
    scope = "new" if len(cards) == new_count else "airing" if new_count == 0 else "new_and_airing"
    return {
        "season": current.name,
        "year": current.year,
        "is_current": True,
        "current": {"season": current.name, "year": current.year},
        "scope": scope,
        "results": cards,
    }


def _cards(qs: Any, language: str) -> list[dict[str, Any]]:
    return anime_cards_from(qs[:HOME_SECTION_SIZE], language)


def home_shared(*, language: str, now: datetime) -> dict[str, Any]:
    """The sections every reader of ``language`` sees, cached briefly."""
    current = seasons.current_season(now)
    key = f"rankings:{CACHE_VERSION}:home:{language}:{current.name}:{current.year}"
    cached = cache.get(key)
    if isinstance(cached, dict):
        return cached

    visible = anime_card_queryset().visible()
    featured = _cards(visible.filter(is_featured=True).order_by("-members", "id"), language)
    season = this_season(now=now, language=language)

    # Each section shows anime the sections above it do not: the season's anime are not repeated
    # as trending, and neither is repeated in the popular-and-diverse picks.
    shown_ids = {card["id"] for card in season["results"]}
    trending_ranking = ranking_get(kind=RankingKind.TRENDING, filters=CatalogFilter(), now=now)
    basis = str(trending_ranking.parameters.get("basis", "activity"))
    entries = [e for e in trending_ranking.entries if e[0] not in shown_ids][:HOME_SECTION_SIZE]
    if not entries:
        # Nothing happened lately and nothing else airs (a new site, or a quiet week): say so and
        # show popular anime.
        basis = "popular"
        entries = [
            e
            for e in ranking_get(kind=RankingKind.POPULAR, filters=CatalogFilter()).entries
            if e[0] not in shown_ids
        ][:HOME_SECTION_SIZE]
    trending = {
        "basis": basis,
        "degraded": trending_ranking.degraded,
        "results": ranking_page_cards(entries=entries, first_rank=1, language=language),
    }
    shown_ids.update(e[0] for e in entries)

    shared = {
        "featured": featured,
        "season": season,
        "trending": trending,
        "popular_diverse": popular_diverse_items(
            limit=HOME_SECTION_SIZE, exclude=shown_ids, language=language
        ),
        "generated_at": now.isoformat(),
    }
    cache.set(key, shared, timeout=HOME_CACHE_TTL)
    return shared


def home_recommendations(*, user: User, language: str) -> dict[str, Any]:
    """The recommender's answer for ``user``; popular-and-diverse when it is missing or fails."""
    try:
        result = recommend_for_user(user=user, limit=HOME_SECTION_SIZE, language=language)
        return {
            "source": "recommender",
            "personalized": True,
            "degraded": bool(getattr(result, "degraded", False)),
            "results": list(result.items),
        }
    except Exception:
        logger.exception("recommendations failed for user %s; serving popular anime", user.pk)
    exclude = set(CollectionEntry.objects.filter(user=user).values_list("anime_id", flat=True))
    return {
        "source": "popular_diverse",
        "personalized": False,
        "degraded": True,
        "results": popular_diverse_items(limit=HOME_SECTION_SIZE, exclude=exclude, language=language),
    }


def home_page(
    *, user: User | AnonymousUser | None, language: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    lang = display_language(language)
    shared = home_shared(language=lang, now=now or timezone.now())
    if user is not None and user.is_authenticated:
        assert isinstance(user, User)
        recommendations = home_recommendations(user=user, language=lang)
    else:
        recommendations = {
            "source": "popular_diverse",
            "personalized": False,
            "degraded": False,
            "results": shared["popular_diverse"],
        }
    return {
        "featured": shared["featured"],
        "season": shared["season"],
        "trending": shared["trending"],
        "recommendations": recommendations,
        "generated_at": shared["generated_at"],
    }
