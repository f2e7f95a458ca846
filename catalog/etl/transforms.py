"""Pure cleaning rules of the raw anime data, shared by the Spark job and unit tests.

Nothing here imports Spark or Django: each function takes and returns plain Python values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping

UNKNOWN_MARKERS = frozenset({"", "unknown", "n/a", "none", "null"})

# bangumi-data broadcast times are UTC instants of Japanese broadcasts: the air date is the JST date.
JST = dt.timezone(dt.timedelta(hours=9))

ANIME_TYPES = ("TV", "Movie", "OVA", "ONA", "Special", "Music")
_BANGUMI_TYPES = {"tv": "TV", "movie": "Movie", "ova": "OVA", "web": "ONA"}

# Title languages (BCP 47 tags, as stored on AnimeTitle.language).
ROMAJI, ENGLISH, JAPANESE, ZH_HANS, ZH_HANT, UNDETERMINED = "x-jat", "en", "ja", "zh-Hans", "zh-Hant", "und"
_BANGUMI_LANGS = {"ja": JAPANESE, "en": ENGLISH, "zh-Hans": ZH_HANS, "zh-Hant": ZH_HANT, "zh": ZH_HANS}

# Order in which image sizes of a bangumi.tv cover are preferred.
COVER_SIZES = ("large", "common", "medium", "small", "grid")

_ENGLISH_WORDS = frozenset(
    {
        "the",
        "of",
        "and",
        "a",
        "an",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "with",
        "without",
        "my",
        "your",
        "our",
        "his",
        "her",
        "their",
        "is",
        "are",
        "be",
        "was",
        "were",
        "you",
        "we",
        "me",
        "it",
        "this",
        "that",
        "who",
        "what",
        "when",
        "where",
        "how",
        "why",
        "not",
        "all",
        "love",
        "girl",
        "girls",
        "boy",
        "boys",
        "world",
        "story",
        "adventure",
        "adventures",
        "legend",
        "war",
        "wars",
        "king",
        "queen",
        "princess",
        "prince",
        "life",
        "day",
        "days",
        "night",
        "dream",
    }
)


def unescape_html(value: str | None) -> str | None:
    """Decode HTML entities (``&#039;``, ``&amp;``, ``&quot;``...), applied until stable."""
    if value is None:
        return None
    previous = None
    while previous != value and "&" in value:
        previous, value = value, html.unescape(value)
    return value


def clean_text(value: str | None) -> str | None:
    """Entities decoded, whitespace collapsed; ``Unknown`` and blanks become ``None``."""
    if value is None:
        return None
    text = unescape_html(value) or ""
    text = " ".join(text.split())
    return None if text.lower() in UNKNOWN_MARKERS else text


def clean_paragraphs(value: str | None) -> str | None:
    """Long text (synopses): entities decoded, lines trimmed, paragraphs kept; blanks become ``None``."""
    if value is None:
        return None
    text = (unescape_html(value) or "").replace("\r\n", "\n").replace("\r", "\n")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    paragraphs = "\n".join(line for line in lines if line)
    return None if paragraphs.lower() in UNKNOWN_MARKERS else paragraphs


def clean_title(value: str | None, max_length: int = 255) -> str | None:
    """A title or tag ready to store: cleaned like :func:`clean_text` and cut to ``max_length``."""
    return truncate(clean_text(value), max_length)


def clean_url(value: str | None) -> str | None:
    text = clean_text(value)
    if text is None or not text.startswith(("http://", "https://")) or len(text) > 500:
        return None
    return text


def parse_int(value: str | int | None) -> int | None:
    """An integer from a raw field; ``Unknown``, blanks and garbage become ``None``."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = value.strip().replace(",", "")
    if text.lower() in UNKNOWN_MARKERS:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def parse_float(value: str | float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, float):
        return value
    text = value.strip()
    if text.lower() in UNKNOWN_MARKERS:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse_episodes(value: str | int | None) -> int | None:
    """Episode count: ``Unknown`` (still airing) and 0 mean "not known"."""
    episodes = parse_int(value)
    return episodes if episodes and episodes > 0 else None


def normalize_type(value: str | None) -> str | None:
    """A MyAnimeList type (TV, Movie, OVA, ONA, Special, Music) or ``None``; accepts bangumi-data types."""
    text = clean_text(value)
    if text is None:
        return None
    for known in ANIME_TYPES:
        if text.lower() == known.lower():
            return known
    return _BANGUMI_TYPES.get(text.lower())


def split_genres(value: str | None) -> list[str]:
    """``"Action, Sci-Fi, Unknown"`` -> ``["Action", "Sci-Fi"]``: order kept, duplicates and Unknown
    dropped."""
    text = clean_text(value)
    if text is None:
        return []
    seen: list[str] = []
    for part in text.split(","):
        name = clean_text(part)
        if name and name not in seen:
            seen.append(name)
    return seen


def season_of_month(month: int) -> str:
    """Jan-Mar winter, Apr-Jun spring, Jul-Sep summer, Oct-Dec fall."""
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    return ("winter", "spring", "summer", "fall")[(month - 1) // 3]


def parse_air_date(value: str | None) -> dt.date | None:
    """The local (JST) air date of a bangumi-data ISO instant, or a plain ``YYYY-MM-DD`` date.

    ``0000-00-00``, partial dates and garbage become ``None``.
    """
    text = clean_text(value)
    if text is None:
        return None
    try:
        if "T" in text:
            instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=dt.UTC)
            return instant.astimezone(JST).date()
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def year_and_season(date: dt.date | None) -> tuple[int | None, str | None]:
    if date is None:
        return None, None
    return date.year, season_of_month(date.month)


def season_of_date(date: dt.date | None) -> str | None:
    return None if date is None else season_of_month(date.month)


def valid_score(value: int | None) -> int | None:
    """A 1-10 list score; anything else (0 means "not scored" on MyAnimeList) is ``None``."""
    return value if value is not None and 1 <= value <= 10 else None


def pick_cover(images: Mapping[str, str | None] | None) -> str | None:
    """The preferred cover URL of a bangumi.tv image set (large, then common, then smaller ones)."""
    if not images:
        return None
    for size in COVER_SIZES:
        url = clean_url(images.get(size))
        if url:
            return url
    return None


def bangumi_language(lang: str | None) -> str:
    return _BANGUMI_LANGS.get(lang or "", UNDETERMINED)


# --- script detection --------------------------------------------------------------------

_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def detect_script(text: str) -> str:
    """``kana`` (any kana: Japanese), ``han`` (ideographs, no kana), ``hangul``, ``latin`` or ``other``."""
    if _KANA.search(text):
        return "kana"
    if _HAN.search(text):
        return "han"
    if _HANGUL.search(text):
        return "hangul"
    if _LATIN.search(text):
        return "latin"
    return "other"


def looks_english(text: str) -> bool:
    """A Latin-script name with a common English word in it (romaji titles rarely have one)."""
    words = re.findall(r"[a-z]+", text.lower())
    return any(word in _ENGLISH_WORDS for word in words)


def alias_language(
    text: str,
    japanese_titles: Iterable[str] = (),
    traditional_titles: Iterable[str] = (),
) -> str:
    """The language of a free-form alias, from its script.

    Kana means Japanese. Ideographs alone are Chinese (simplified) unless the alias belongs to the
    Japanese title family (equal to, or the start of, a Japanese title of the same anime) or is
    one of its traditional Chinese titles. Latin script is English when it reads as English,
    otherwise undetermined (often romaji).
    """
    script = detect_script(text)
    if script == "kana":
        return JAPANESE
    if script == "han":
        key = title_key(text)
        if any(title_key(t).startswith(key) for t in japanese_titles if t):
            return JAPANESE
        if any(title_key(t) == key for t in traditional_titles if t):
            return ZH_HANT
        return ZH_HANS
    if script == "latin":
        return ENGLISH if looks_english(text) else UNDETERMINED
    return UNDETERMINED


def title_key(text: str) -> str:
    """A comparison key close to the database's case- and accent-insensitive collation."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def truncate(text: str | None, length: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def slugify_genre(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "genre"


# --- the catalogue's natural key -------------------------------------------------------------

MAL_KEY, BANGUMI_KEY, BANGUMI_DATA_KEY = "mal", "bgm", "bd"


def anime_key(
    mal_id: int | str | None,
    bangumi_id: int | str | None = None,
    title: str | None = None,
    begin: str | None = None,
) -> str | None:
    """The natural key of a catalogue entry: ``mal:<MyAnimeList id>`` when MyAnimeList knows the
    anime, else ``bgm:<bangumi.tv id>``, else ``bd:<hash>`` of bangumi-data's original title and
    start (an item with neither id). ``None`` when nothing identifies the entry.

    Every bangumi-data item and snapshot row with the same key is one anime.
    """
    mal = parse_int(mal_id) if isinstance(mal_id, str) else mal_id
    if mal is not None and mal > 0:
        return f"{MAL_KEY}:{mal}"
    bangumi = parse_int(bangumi_id) if isinstance(bangumi_id, str) else bangumi_id
    if bangumi is not None and bangumi > 0:
        return f"{BANGUMI_KEY}:{bangumi}"
    name = clean_text(title)
    if name is None:
        return None
    digest = hashlib.sha1(f"{title_key(name)}|{(begin or '')[:10]}".encode()).hexdigest()[:12]
    return f"{BANGUMI_DATA_KEY}:{digest}"


def valid_mean_score(value: float | None) -> float | None:
    """A MyAnimeList mean score in (0, 10]; 0 and missing mean "no score" (never shown as 0)."""
    return value if value is not None and 0 < value <= 10 else None
