"""Reads of the catalogue shared by every list on the site (search, rankings, home, recommendations)."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Count, F, Max, Prefetch, Q
from django.utils import timezone, translation

from catalog.etl import franchises, seasons
from catalog.models import Anime, AnimeTitle, Franchise, Genre, Tag

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
    """The title to show to a reader of ``language``.

    English and Chinese pages use the display-title policy computed by the ETL
    (``catalog.etl.display``: one policy per UI language, unique inside a franchise); other
    languages, and anime loaded before the policy existed, take the first title in their script.
    """
    lang = display_language(language)
    policy = (
        anime.display_title_en if lang == "en" else anime.display_title_zh if lang.startswith("zh") else ""
    )
    if policy:
        return str(policy)
    for field in _DISPLAY_PREFERENCE[lang]:
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
        "franchise_id": anime.franchise_id,
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
    return Anime.objects.select_related("franchise").prefetch_related(
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
    # Streaming sites, with bangumi-data's siteMeta URL templates (its ``{{id}}`` written ``{id}``).
    "abema": ("ABEMA", "https://abema.tv/video/title/{id}"),
    "acfun": ("AcFun", "https://www.acfun.cn/bangumi/aa{id}"),
    "anione": ("Ani-One", "https://www.youtube.com/playlist?list={id}"),
    "anioneasia": ("Ani-One Asia", "https://www.youtube.com/playlist?list={id}"),
    "bilibili": ("bilibili", "https://www.bilibili.com/bangumi/media/md{id}/"),
    "bilibilihkmo": ("bilibili (HK/MO)", "https://www.bilibili.com/bangumi/media/md{id}/"),
    "bilibilihkmotw": ("bilibili (HK/MO/TW)", "https://www.bilibili.com/bangumi/media/md{id}/"),
    "bilibilitw": ("bilibili (TW)", "https://www.bilibili.com/bangumi/media/md{id}/"),
    "crunchyroll": ("Crunchyroll", "https://www.crunchyroll.com/series/{id}/"),
    "danime": ("dアニメストア", "https://animestore.docomo.ne.jp/animestore/ci_pc?workId={id}"),
    "disneyplus": ("Disney+", "https://www.disneyplus.com/series/view/{id}"),
    "gamer": ("動畫瘋", "https://acg.gamer.com.tw/acgDetail.php?s={id}"),
    "gamerhk": ("動畫瘋 HK", "https://acg.gamer.com.tw/acgDetail.php?s={id}"),
    "iqiyi": ("iQIYI", "https://www.iqiyi.com/{id}.html"),
    "letv": ("LeTV", "https://www.le.com/comic/{id}.html"),
    "mgtv": ("Mango TV", "https://www.mgtv.com/h/{id}.html"),
    "musehk": ("Muse HK", "https://www.youtube.com/playlist?list={id}"),
    "musetw": ("Muse TW", "https://www.youtube.com/playlist?list={id}"),
    "mytv": ("myTV SUPER", "https://www.mytvsuper.com/tc/programme/{id}/"),
    "netflix": ("Netflix", "https://www.netflix.com/title/{id}"),
    "nicovideo": ("Niconico", "https://ch.nicovideo.jp/{id}"),
    "prime": ("Prime Video", "https://www.amazon.co.jp/gp/video/detail/{id}"),
    "qq": ("Tencent Video", "https://v.qq.com/detail/{id}.html"),
    "tropics": ("Tropics", "https://www.youtube.com/playlist?list={id}"),
    "unext": ("U-NEXT", "https://video.unext.jp/title/{id}"),
    "viu": ("Viu", "https://www.viu.com/ott/hk/zh-hk/vod/{id}/"),
    "youku": ("Youku", "https://list.youku.com/show/id_z{id}.html"),
    "youtube": ("YouTube", "https://www.youtube.com/playlist?list={id}"),
}


def external_link(*, site: str, external_id: str) -> dict[str, Any]:
    """A link to the anime on another site; ``url`` is ``None`` for sites without a known address."""
    key = "".join(ch for ch in site.casefold() if ch.isalnum())
    known = _EXTERNAL_SITES.get(key)
    if known is None:
        return {"site": site, "name": site, "external_id": external_id, "url": None}
    name, template = known
    url = template.format(id=urllib.parse.quote(external_id, safe="/"))
    return {"site": site, "name": name, "external_id": external_id, "url": url}


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


def synopsis_shown(anime: Anime, language: str | None = None) -> dict[str, str]:
    """The synopsis a reader of ``language`` sees and its language (BCP 47), so that a page in one
    language can label a synopsis written in another: English pages show the English synopsis,
    else the Chinese one labelled ``zh-Hans``; Chinese pages the reverse. Both empty: ``""``."""
    english, chinese = (anime.synopsis, "en"), (anime.synopsis_zh, "zh-Hans")
    order = (chinese, english) if display_language(language).startswith("zh") else (english, chinese)
    for text, code in order:
        if text:
            return {"synopsis_display": text, "synopsis_language": code}
    return {"synopsis_display": "", "synopsis_language": ""}


def broadcast_of(anime: Anime) -> dict[str, Any] | None:
    """The weekly slot in Japan (``weekday`` 0 = Monday, ``time`` HH:MM JST) and the first broadcast
    (UTC); ``None`` without a weekly broadcast."""
    start = anime.broadcast_start
    if start is None or anime.broadcast_period_days != seasons.WEEKLY_PERIOD_DAYS:
        return None
    japan = start.astimezone(seasons.JST)
    return {
        "first_air": start,
        "weekday": japan.weekday(),
        "time_jst": japan.strftime("%H:%M"),
        "period_days": anime.broadcast_period_days,
    }


def franchise_name(franchise: Franchise, language: str | None = None) -> str:
    lang = display_language(language)
    first, second = (
        (franchise.name_zh, franchise.name_en)
        if lang.startswith("zh")
        else (franchise.name_en, franchise.name_zh)
    )
    return first or second or franchise.key


def _air_order(anime: Anime) -> tuple[bool, Any, int, int]:
    return (anime.aired_from is None, anime.aired_from or dt.date.min, anime.franchise_position, anime.id)


def related_entries(*, anime: Anime, user: Any = None, language: str | None = None) -> list[dict[str, Any]]:
    """The other entries of ``anime``'s franchise in air order (undated entries last), each with its
    relation to ``anime``: ``prequel`` / ``sequel`` for the nearest dated neighbours, ``earlier`` /
    ``later`` beyond them, ``other`` when an air date is missing (see ``franchises.relation``)."""
    if anime.franchise_id is None:
        return []
    members = sorted(
        Anime.objects.visible_to(user)
        .filter(franchise_id=anime.franchise_id)
        .only(
            "id",
            "mal_id",
            "title",
            "title_en",
            "title_ja",
            "title_zh_hans",
            "title_zh_hant",
            "display_title_en",
            "display_title_zh",
            "type",
            "year",
            "season",
            "aired_from",
            "franchise_position",
            "cover_url",
            "score",
            "episodes",
        ),
        key=_air_order,
    )
    ids = [m.id for m in members]
    if anime.id not in ids:  # a hidden anime seen by nobody but staff still has its place
        members = sorted([*members, anime], key=_air_order)
        ids = [m.id for m in members]
    position = ids.index(anime.id)
    dated = [m.aired_from is not None for m in members]
    series = [m.type in franchises.SERIES_TYPES for m in members]
    return [
        {
            "id": other.id,
            "mal_id": other.mal_id,
            "title": display_title(other, language),
            "type": other.type,
            "episodes": other.episodes,
            "year": other.year,
            "season": other.season,
            "aired_from": other.aired_from,
            "cover_url": other.cover_url,
            "score": other.score,
            "relation": franchises.relation(position, index, dated, series),
        }
        for index, other in enumerate(members)
        if index != position
    ]


def anime_detail(anime: Anime, language: str | None = None, *, user: Any = None) -> dict[str, Any]:
    """The card plus everything the detail page shows; ``anime`` comes from ``anime_get``."""
    return {
        **anime_card(anime, language),
        "all_titles": anime_titles_by_language(anime),
        "genre_items": [{"name": g.name, "slug": g.slug} for g in anime.genres.all()],
        "tags": [t.name for t in anime.tags.all()],
        "synopsis": anime.synopsis,
        "synopsis_zh": anime.synopsis_zh,
        **synopsis_shown(anime, language),
        "catalog_key": anime.catalog_key,
        "bangumi_id": anime.bangumi_id,
        "catalog_source": anime.source,
        "broadcast": broadcast_of(anime),
        "franchise": (
            {
                "id": anime.franchise.id,
                "key": anime.franchise.key,
                "name": franchise_name(anime.franchise, language),
            }
            if anime.franchise is not None
            else None
        ),
        "related": related_entries(anime=anime, user=user, language=language),
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


# --- Seasons and the weekly airing calendar ------------------------------------------------

SEASON_SORTS: dict[str, tuple[Any, ...]] = {
    "popularity": ("-members", "id"),
    # Anime without a MyAnimeList score come after every scored one, never as a 0.
    "score": (F("score").desc(nulls_last=True), "-members", "id"),
    "start_date": (F("aired_from").asc(nulls_last=True), "-members", "id"),
}
SEASON_SCOPES = ("new", "airing")


def today_in_japan() -> dt.date:
    """Today's date in Japan, where seasons are counted."""
    return timezone.now().astimezone(seasons.JST).date()


def current_season() -> seasons.Season:
    """The season today's date falls in (January-March winter, ..., October-December fall)."""
    return seasons.season_of(today_in_japan())


def _airing_filter(season: seasons.Season) -> Q:
    """Began by the season's last day and not ended before its first (``seasons.airs_during``)."""
    return Q(aired_from__lte=season.end) & (Q(aired_to__isnull=True) | Q(aired_to__gte=season.start))


def season_airing_filter(season: seasons.Season) -> Q:
    """Anime that began in ``season`` or air during it."""
    return Q(year=season.year, season=season.name) | _airing_filter(season)


def season_anime(
    *,
    season: seasons.Season,
    user: Any = None,
    type: str | None = None,
    sort: str = "popularity",
    scope: str = "new",
) -> Any:
    """Anime of ``season`` visible to ``user``: ``new`` ones began in it, ``airing`` ones air
    during it (including those continuing from earlier seasons), ordered by ``sort``
    (``SEASON_SORTS``); ready for ``anime_card``."""
    qs = anime_card_queryset().visible_to(user)
    if scope == "airing":
        qs = qs.filter(_airing_filter(season))
    else:
        qs = qs.filter(year=season.year, season=season.name)
    if type:
        qs = qs.filter(type=type)
    return qs.order_by(*SEASON_SORTS[sort])


def season_summary(*, season: seasons.Season, user: Any = None) -> dict[str, Any]:
    """Counts of a season (new and airing, new by type) and its neighbours."""
    visible = Anime.objects.visible_to(user)
    new = visible.filter(year=season.year, season=season.name)
    by_type = dict(new.values_list("type").annotate(n=Count("id")).values_list("type", "n"))
    current = current_season()
    return {
        "year": season.year,
        "season": season.name,
        "start": season.start,
        "end": season.end,
        "is_current": season == current,
        "current": {"year": current.year, "season": current.name},
        "previous": {"year": season.previous().year, "season": season.previous().name},
        "next": {"year": season.next().year, "season": season.next().name},
        "new_count": sum(by_type.values()),
        "airing_count": visible.filter(_airing_filter(season)).count(),
        "types": dict(sorted(by_type.items())),
        "data_until": Anime.objects.aggregate(latest=Max("aired_from"))["latest"],
    }


def airing_calendar(
    *,
    season: seasons.Season,
    tz: ZoneInfo,
    week_of: dt.date,
    user: Any = None,
    language: str | None = None,
) -> list[dict[str, Any]]:
    """The weekly airing calendar of ``season``: seven days (Monday first) of the viewer's week
    containing ``week_of``, in the viewer's time zone ``tz``, each with the anime airing that day
    in time order.

    An anime is in when it airs during the season (``season_anime(scope="airing")``) and has a
    weekly broadcast (bangumi-data ``R/<first air>/P7D``) that began before the week's end. Slots
    that cross midnight between Japan and the viewer move to the viewer's day and say so
    (``crosses_midnight``, with the Japanese day and time alongside).
    """
    days: list[dict[str, Any]] = [
        {"weekday": index, "name": name, "date": None, "entries": []}
        for index, name in enumerate(seasons.WEEKDAYS)
    ]
    monday = week_of - dt.timedelta(days=week_of.weekday())
    week_end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=tz)
    for index, day in enumerate(days):
        day["date"] = monday + dt.timedelta(days=index)
    qs = (
        season_anime(season=season, user=user, scope="airing")
        .filter(broadcast_period_days=seasons.WEEKLY_PERIOD_DAYS, broadcast_start__isnull=False)
        .filter(broadcast_start__lt=week_end)
    )
    for anime in qs:
        slot = seasons.weekly_slot(anime.broadcast_start, tz, week_of=week_of)
        days[slot.weekday]["entries"].append(
            {
                **anime_card(anime, language),
                "time": slot.time.strftime("%H:%M"),
                "starts_at": slot.starts_at,
                "jst_weekday": slot.jst_weekday,
                "jst_time": slot.jst_time.strftime("%H:%M"),
                "crosses_midnight": slot.crosses_midnight,
            }
        )
    for day in days:
        day["entries"].sort(key=lambda entry: (entry["time"], -entry["members"], entry["id"]))
    return days
