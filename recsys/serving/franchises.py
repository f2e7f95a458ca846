"""Franchise grouping at serving time: the catalogue's franchise, else the title stem.

Every anime's grouping key is :func:`recsys.pipeline.data.item_franchise_key`: ``"f<id>"`` for
an anime with a catalogue franchise (``catalog.models.Anime.franchise``, built by the catalogue ETL
and editable by operators), else ``"t:<title stem>"``. The map is read in one query and kept in the
process cache, which every catalogue edit empties (:mod:`recsys.serving.freshness`): requests
themselves never query franchises, and an operator's merge or split reaches the lists within
seconds, whatever model version is serving.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from animesite.process_cache import process_cache
from catalog.models import Anime
from recsys.pipeline.data import item_franchise_key
from recsys.preferences import Preference, preferences_by_anime

PROCESS_TTL_SECONDS = 3600


@lru_cache(maxsize=65_536)
def _title_key(title: str) -> str:
    return item_franchise_key(title, None)


@dataclass(frozen=True)
class FranchiseMap:
    """``franchise_of``: anime id -> catalogue franchise id (anime with one only); ``titles``: anime
    id -> main title (the others); ``members``: catalogue franchise id -> its anime ids in air order
    (undated last, then the catalogue's franchise position, then id); ``followers``: franchise
    member -> MyAnimeList members (0 when unknown); ``kinds``: franchise member -> type (TV, ...)."""

    franchise_of: Mapping[int, int]
    titles: Mapping[int, str]
    members: Mapping[int, tuple[int, ...]]
    followers: Mapping[int, int] = field(default_factory=dict)
    kinds: Mapping[int, str] = field(default_factory=dict)

    def key(self, anime_id: int) -> str:
        """The anime's grouping key; ``"#<id>"`` (a group of its own) for an unknown id."""
        franchise = self.franchise_of.get(anime_id)
        if franchise is not None:
            return f"f{franchise}"
        title = self.titles.get(anime_id)
        return (_title_key(title) if title is not None else "") or f"#{anime_id}"

    def entry_point(self, anime_id: int, *, blocked: Collection[int] = ()) -> int:
        """Where a newcomer to ``anime_id``'s franchise starts: among the entries aired before it,
        the most followed when it is followed more than ``anime_id`` itself (My Hero Academia for
        its final season, Bakemonogatari for Nisemonogatari, but Kanon 2006 stays before the less
        followed 2002 version, and a series before its episode-0 special); when nothing before it
        has a members figure (new anime), the first TV entry before it; else ``anime_id``. An entry
        point in ``blocked`` (hidden, or not to be shown here) leaves ``anime_id``."""
        start = self._entry_point(anime_id)
        return anime_id if start in blocked else start

    def _entry_point(self, anime_id: int) -> int:
        franchise = self.franchise_of.get(anime_id)
        if franchise is None:
            return anime_id
        order = self.members.get(franchise, ())
        earlier = order[: order.index(anime_id)] if anime_id in order else ()
        if not earlier:
            return anime_id
        best = max(earlier, key=lambda a: self.followers.get(a, 0))
        if self.followers.get(best, 0) > self.followers.get(anime_id, 0):
            return best
        if self.followers.get(best, 0) == 0 == self.followers.get(anime_id, 0):
            return next((a for a in earlier if self.kinds.get(a) == "TV"), anime_id)
        return anime_id

    def mates(self, anime_id: int) -> tuple[int, ...]:
        """The other entries of the anime's catalogue franchise (empty without one), in air order."""
        franchise = self.franchise_of.get(anime_id)
        if franchise is None:
            return ()
        return tuple(a for a in self.members.get(franchise, ()) if a != anime_id)


def _load() -> FranchiseMap:
    franchise_of: dict[int, int] = {}
    titles: dict[int, str] = {}
    members: dict[int, list[tuple[bool, dt.date, int, int]]] = {}
    followers: dict[int, int] = {}
    kinds: dict[int, str] = {}
    rows = Anime.objects.values_list(
        "id", "franchise_id", "title", "aired_from", "franchise_position", "members", "type"
    )
    for anime_id, franchise_id, title, aired_from, position, followed, kind in rows:
        if franchise_id is None:
            titles[anime_id] = title
        else:
            franchise_of[anime_id] = franchise_id
            order = (aired_from is None, aired_from or dt.date.min, position or 0, anime_id)
            members.setdefault(franchise_id, []).append(order)
            followers[anime_id] = int(followed or 0)
            kinds[anime_id] = kind
    return FranchiseMap(
        franchise_of=franchise_of,
        titles=titles,
        members={f: tuple(row[3] for row in sorted(m)) for f, m in members.items()},
        followers=followers,
        kinds=kinds,
    )


def franchise_map() -> FranchiseMap:
    """The catalogue's grouping, cached per process until the catalogue changes."""
    return process_cache.get_or_set("franchise_map", PROCESS_TTL_SECONDS, _load)


def planned_only(history: Sequence[Any]) -> set[int]:
    """The plan-to-watch anime of franchises the user has not started (every list entry of the
    franchise is plan-to-watch: :attr:`recsys.preferences.Preference.INTENT`). Recommending
    another entry of such a franchise (Code Geass R2 to a user who plans to watch Code Geass)
    would skip the entry the user chose to start with; lists leave the franchise out."""
    prefs = preferences_by_anime(history)
    groups = franchise_map()
    started = {groups.key(a) for a, p in prefs.items() if p is not Preference.INTENT}
    return {a for a, p in prefs.items() if p is Preference.INTENT and groups.key(a) not in started}


def one_per_franchise(
    items: Sequence[dict[str, Any]], *, avoided: Iterable[int] = ()
) -> list[dict[str, Any]]:
    """Keep the first card (by ``id``) of each franchise, dropping every card that shares a
    franchise with an ``avoided`` anime (disliked or "not interested"). Order is kept."""
    groups = franchise_map()
    seen = {groups.key(a) for a in avoided}
    kept = []
    for item in items:
        key = groups.key(item["id"])
        if key in seen:
            continue
        seen.add(key)
        kept.append(item)
    return kept
