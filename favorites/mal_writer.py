"""Writing a MyAnimeList list export (``animelist.xml``): the format MyAnimeList's own export uses,
so the file imports back here (import -> export -> import changes nothing, see
``favorites.mal_xml``) and into MyAnimeList, AniList or Kitsu."""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree import ElementTree

from accounts.models import User
from favorites.mal_xml import MAL_UNKNOWN_DATE, STATUS_EXPORT_NAMES
from favorites.models import CollectionEntry, WatchStatus


def _element(parent: ElementTree.Element, name: str, text: str) -> None:
    ElementTree.SubElement(parent, name).text = text


def mal_export_write(*, user: User, entries: Iterable[CollectionEntry]) -> bytes:
    """A MyAnimeList list export (``animelist.xml``, UTF-8) of ``entries``.

    The caller passes entries with a watch status and an anime with a MAL id (MyAnimeList knows
    neither an entry without a status nor an anime without an id; see
    ``favorites.selectors.collection_export_entries``). Per entry: ``series_animedb_id``,
    ``series_title``, ``series_type``, ``series_episodes`` (0 when unknown),
    ``my_watched_episodes``, ``my_start_date`` / ``my_finish_date`` (``0000-00-00`` when unknown),
    ``my_score`` (0 when not scored), ``my_status`` (MyAnimeList's words), ``my_times_watched``,
    ``my_last_updated`` (Unix seconds of the entry's last change) and ``update_on_import`` 1, so
    MyAnimeList's importer updates entries that already exist there. Favourites have no place in
    the format and are not written.
    """
    rows = list(entries)
    root = ElementTree.Element("myanimelist")
    info = ElementTree.SubElement(root, "myinfo")
    _element(info, "user_name", user.username)
    _element(info, "user_export_type", "1")
    _element(info, "user_total_anime", str(len(rows)))
    for status, name in (
        (WatchStatus.WATCHING, "user_total_watching"),
        (WatchStatus.COMPLETED, "user_total_completed"),
        (WatchStatus.ON_HOLD, "user_total_onhold"),
        (WatchStatus.DROPPED, "user_total_dropped"),
        (WatchStatus.WANT_TO_WATCH, "user_total_plantowatch"),
    ):
        _element(info, name, str(sum(1 for row in rows if row.status == status)))
    for row in rows:
        anime = row.anime
        item = ElementTree.SubElement(root, "anime")
        _element(item, "series_animedb_id", str(anime.mal_id))
        _element(item, "series_title", anime.title)
        _element(item, "series_type", anime.type or "")
        _element(item, "series_episodes", str(anime.episodes or 0))
        _element(item, "my_id", "0")
        _element(item, "my_watched_episodes", str(row.episodes_watched))
        _element(item, "my_start_date", row.start_date.isoformat() if row.start_date else MAL_UNKNOWN_DATE)
        _element(item, "my_finish_date", row.finish_date.isoformat() if row.finish_date else MAL_UNKNOWN_DATE)
        _element(item, "my_score", str(row.score or 0))
        _element(item, "my_status", STATUS_EXPORT_NAMES[row.status])
        _element(item, "my_times_watched", str(row.rewatch_count))
        _element(item, "my_last_updated", str(int(row.updated_at.timestamp())))
        _element(item, "update_on_import", "1")
    ElementTree.indent(root, space="  ")
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
