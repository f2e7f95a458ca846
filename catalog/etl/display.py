"""Display titles: one policy per UI language, pure (no Spark, no Django).

English pages (``display_en``)
    1. a curated English title (``catalog/etl/data/english_titles.csv``: official English titles
       that none of the sources carries, each with its source);
    2. bangumi-data's English translations, in their order;
    3. bangumi.tv aliases that read as English;
    4. the MyAnimeList main title (romaji); for anime MyAnimeList does not know, the original
       title.
    A candidate is skipped when it is typed without title case (all lower case, or a first word
    in lower case: "attack on titan", "attack on titan Season2"; a correctly cased spelling of the
    same words is taken instead, see :func:`is_casually_cased`), or when it
    is not specific to this entry: an earlier entry of the same franchise (in air order) already
    shows it ("THE PROMISED NEVERLAND" for the second season).

Chinese pages (``display_zh``)
    bangumi.tv's Chinese name, bangumi-data's simplified then traditional Chinese translations,
    then the Japanese title, then the main title; same two skip rules.

When every candidate is taken inside the franchise, the first candidate gets the air year (or the
type) appended: "Title (2021)". Titles are shown as the sources write them: prefixes such as
``.hack//`` are part of the title (the 2017 MyAnimeList name is preferred when the 2020 snapshot
dropped such a prefix, see :func:`main_title`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from catalog.etl import transforms as tf


@dataclass
class TitleCandidates:
    """The names one anime has, by source, in the policy's order."""

    key: str
    main: str
    aired_from_year: int | None = None
    type: str | None = None
    curated_en: Sequence[str] = ()
    official_en: Sequence[str] = ()
    alias_en: Sequence[str] = ()
    name_cn: Sequence[str] = ()
    official_zh_hans: Sequence[str] = ()
    official_zh_hant: Sequence[str] = ()
    japanese: Sequence[str] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def english(self) -> list[str]:
        return [*self.curated_en, *self.official_en, *self.alias_en, self.main]

    def chinese(self) -> list[str]:
        return [*self.name_cn, *self.official_zh_hans, *self.official_zh_hant, *self.japanese, self.main]


def is_all_lower_case(text: str) -> bool:
    """True for a Latin-script name with cased letters, all of them lower case ("elfen lied"; not
    "進撃の巨人", nor ".hack//时空" whose Chinese part carries the name)."""
    return tf.detect_script(text) == "latin" and text == text.lower() and text != text.upper()


def is_casually_cased(text: str) -> bool:
    """A Latin-script name typed without title case: all lower case ("elfen lied"), or starting
    with a lower-case word of three letters or more ("attack on titan Season2"). Stylised names
    with a capital in their first word (".hack//Sign", "iDOLM@STER") are not."""
    if is_all_lower_case(text):
        return True
    if tf.detect_script(text) != "latin":
        return False
    first = next(iter(text.split()), "")
    letters = [ch for ch in first if ch.isalpha()]
    return len(letters) >= 3 and all(ch.islower() for ch in letters)


def main_title(name_2020: str | None, name_2017: str | None) -> str | None:
    """The MyAnimeList main title: the 2020 name, unless it is the 2017 name with a prefix dropped
    (``.hack//Sign`` became ``Sign``), in which case the 2017 name is kept."""
    if name_2020 and name_2017 and name_2017 != name_2020 and name_2017.endswith(name_2020):
        prefix = name_2017[: -len(name_2020)]
        if prefix and not prefix[-1].isalnum():  # ".hack//", "Fate/", not "Kenpuu Denki " words
            return name_2017
    return name_2020 or name_2017


def pick(candidates: Iterable[str], taken: set[str]) -> str | None:
    """The first usable candidate: not all lower case (a correctly cased spelling of the same words
    comes first), not already shown by another entry of the franchise."""
    texts = [c for c in (tf.clean_text(c) for c in candidates) if c]
    cased = {tf.title_key(t): t for t in reversed(texts) if not is_casually_cased(t)}
    for text in texts:
        key = tf.title_key(text)
        if key in taken:
            continue
        if is_casually_cased(text):
            if key in cased:
                return cased[key]
            continue
        return text
    return None


def _disambiguated(entry: TitleCandidates, first: str, taken: set[str]) -> str:
    for suffix in (entry.aired_from_year, entry.type, entry.key):
        if suffix:
            text = f"{first} ({suffix})"
            if tf.title_key(text) not in taken:
                return text
    return f"{first} ({entry.key})"


def display_titles(entries: Sequence[TitleCandidates]) -> dict[str, tuple[str, str]]:
    """``{key: (display_en, display_zh)}`` for the entries of one franchise, given in air order
    (a standalone anime is a franchise of one)."""
    taken_en: set[str] = set()
    taken_zh: set[str] = set()
    result: dict[str, tuple[str, str]] = {}
    for entry in entries:
        shown: list[str] = []
        for candidates, taken in ((entry.english(), taken_en), (entry.chinese(), taken_zh)):
            text = pick(candidates, taken)
            if text is None:
                first = pick(candidates, set()) or entry.main
                text = _disambiguated(entry, first, taken)
            taken.add(tf.title_key(text))
            shown.append(text)
        result[entry.key] = (shown[0], shown[1])
    return result
