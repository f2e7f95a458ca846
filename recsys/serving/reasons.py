"""Why an anime is recommended: a machine-readable ``reason`` and a translated sentence."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext

BECAUSE_YOU_LIKED = "because_you_liked"
POPULAR_IN_GENRE = "popular_in_genre"
POPULAR = "popular"
NEW_THIS_SEASON = "new_this_season"
NEW_LIKE = "new_like"


def reason_because(*, anime_id: int, title: str) -> dict[str, Any]:
    return {"code": BECAUSE_YOU_LIKED, "anime_id": anime_id, "title": title}


def reason_new(*, anime_id: int, title: str, airing: bool) -> dict[str, Any]:
    """A new anime (content channel) like the liked anime ``anime_id``; ``airing``: this season."""
    return {"code": NEW_THIS_SEASON if airing else NEW_LIKE, "anime_id": anime_id, "title": title}


def reason_popular_in_genre(*, genre: str) -> dict[str, Any]:
    return {"code": POPULAR_IN_GENRE, "genre": genre}


def reason_popular() -> dict[str, Any]:
    return {"code": POPULAR}


def reason_text(reason: dict[str, Any], *, language: str | None) -> str:
    """The sentence shown under a recommendation, in ``language`` (the active language if None)."""
    if language is None or language == translation.get_language():
        return _text(reason)
    with translation.override(language):
        return _text(reason)


def _text(reason: dict[str, Any]) -> str:
    code = reason.get("code")
    if code == BECAUSE_YOU_LIKED:
        return gettext("Because you liked %(title)s") % {"title": reason["title"]}
    if code == NEW_THIS_SEASON:
        return gettext("New this season, like %(title)s") % {"title": reason["title"]}
    if code == NEW_LIKE:
        return gettext("New, like %(title)s") % {"title": reason["title"]}
    if code == POPULAR_IN_GENRE:
        return gettext("Popular in %(genre)s") % {"genre": reason["genre"]}
    return gettext("Popular right now")
