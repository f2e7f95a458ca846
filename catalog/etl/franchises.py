# ruff: noqa: RUF001, RUF002  (full-width punctuation of CJK titles is matched on purpose)
"""Franchise grouping: which catalogue entries are seasons, films and side stories of one work.

Pure functions over plain records (no Spark, no Django), so each rule can be tested on a handful
of entries; the ETL collects the records, calls :func:`group_franchises` and writes the result.

Method (union-find over three signals; an entry alone is a franchise of one):

1. **TMDB id.** bangumi.tv subjects (bgmd) carry the TMDB id of the show; TMDB keeps every season
   of a TV show under one id, so entries sharing a ``(tmdb type, tmdb id)`` pair are joined.
2. **Title stems across scripts.** Each title (MyAnimeList romaji, bangumi-data's original
   Japanese title, bangumi.tv's Japanese and Chinese names) is reduced to a stem: width and case
   folded, bracketed notes, film prefixes (劇場版, 剧场版, Gekijouban, Movie), season and part
   markers (第2期, 第二季, Season 2, 2nd Season, Part 2, Final Season, Movie 2, II, trailing numbers) and
   subtitles (after ``:``, ``～``, `` - ``; after the first space of a Japanese title) removed,
   punctuation and spaces dropped. Entries with the same stem in the same script are joined.
3. **Stem prefixes** (the bangumi-data and MyAnimeList naming of sequels: ドラゴンボール ->
   ドラゴンボールZ, Dragon Ball -> Dragon Ball Z): an entry whose stem starts with another
   entry's whole stem is joined to it when that stem is long enough (5 kana/ideographs, or two
   Latin words and 8 letters) and specific: a stem that prefixes more than
   ``MAX_PREFIX_FAN_OUT`` other stems (魔法少女, "Lupin" spin-offs...) is treated as a generic
   word and joins nothing.

Entries are ordered by first air date (undated last), then key. The franchise key is the key of
its earliest entry, so it stays stable while later seasons are added.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from catalog.etl.transforms import detect_script

MAX_PREFIX_FAN_OUT = 12
MIN_CJK_PREFIX = 5
MIN_LATIN_PREFIX_LETTERS = 8
MIN_LATIN_PREFIX_WORDS = 2
MIN_CJK_STEM = 2
MIN_LATIN_STEM = 4
MIN_LATIN_HEAD = 5


@dataclass
class FranchiseInput:
    """What the grouping needs to know about one catalogue entry."""

    key: str
    aired_from: str | None = None  # ISO date; only its order matters
    tmdb: tuple[str, int] | None = None  # (tmdb type, tmdb id)
    latin_titles: Sequence[str] = ()
    japanese_titles: Sequence[str] = ()
    chinese_titles: Sequence[str] = ()


@dataclass
class Franchise:
    key: str
    members: list[str] = field(default_factory=list)  # keys in air order


_BRACKETS = re.compile(r"[(\[（【〔［<《「『][^)\]）】〕］>》」』]*[)\]）】〕］>》」』]")
_BRACKET_MARKS = re.compile(r"[()\[\]（）【】〔〕［］<>《》「」『』]")
_FILM_PREFIX = re.compile(
    r"^(?:(?:劇場|剧场|劇場版|剧场版|映画|电影|電影|新劇場版|新剧场版)?\s*(?:総集編|总集篇|總集篇|短編)|劇場版|剧场版"
    r"|映画|电影|電影|新劇場版|新剧场版|特別編|特別篇|特别篇"
    r"|gekijouban|gekijoban|the movie|movie)\s*[:：]?\s*"
)
_SUBTITLE = re.compile(r"\s*(?:[:：～〜~―—–]| - | -|- ).*$")
_SEASON_MARKERS = [
    re.compile(p)
    for p in (
        r"第\s*[0-9一二三四五六七八九十百]+\s*(?:期|季|部|章|シリーズ|series|クール|话|話)",
        r"(?:the\s+)?final\s+season",
        r"\b(?:season|part|cour|series|chapter|phase|vol\.?|volume)\s*[0-9ivx]+\b",
        r"\b[0-9]+(?:st|nd|rd|th)\s+(?:season|series|part|cour)\b",
        r"\bs[0-9]+\b",
        r"(?:ファイナルシーズン|シーズン\s*[0-9]+|season[0-9]+)",
        r"\b(?:tv|ova|oad|ona|specials?|sp|recap|the animation|劇場版)\b",
        # MyAnimeList's film titles: "Gintama Movie 1: ...", "... the Movie 2: ..."
        r"\b(?:the\s+)?(?:movie|film)s?\b",
        r"(?:完結編|最終章|続編|新章|总集篇|総集編|特別編|特别篇)",
    )
]
_TRAILING_ORDINAL = re.compile(r"(?:\s+|\b)(?:[0-9]+|ii|iii|iv|v|vi|vii|viii|ix|x|Ⅱ|Ⅲ|Ⅳ)\s*$")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def stem(title: str | None) -> str | None:
    """The franchise stem of one title (see the module docstring); ``None`` when too short."""
    if not title:
        return None
    text = unicodedata.normalize("NFKC", title).casefold().strip()
    unbracketed = _BRACKETS.sub(" ", text).strip()
    if _NOT_WORD.sub("", _without_markers(unbracketed)):
        text = unbracketed
    else:  # the title is the bracketed part: 【推しの子】
        text = _BRACKET_MARKS.sub(" ", text).strip()
    text = _FILM_PREFIX.sub("", text).strip()
    cut = _SUBTITLE.sub("", text).strip()
    if len(_NOT_WORD.sub("", cut)) >= _min_head(cut):
        text = cut
    if detect_script(text) in {"kana", "han"}:
        head = re.split(r"\s+", text, maxsplit=1)[0]
        if len(_NOT_WORD.sub("", head)) >= 3:
            text = head
    text = _without_markers(text)
    text = _TRAILING_ORDINAL.sub("", text).strip()
    words = " ".join(_NOT_WORD.sub(" ", text).split())
    return words if len(words.replace(" ", "")) >= _min_stem(words) else None


def _without_markers(text: str) -> str:
    for marker in _SEASON_MARKERS:
        text = marker.sub(" ", text)
    return " ".join(text.split())


def _min_head(text: str) -> int:
    """Shortest title head kept when a subtitle is cut off ("Re:Zero" stays whole)."""
    return MIN_CJK_STEM if detect_script(text) in {"kana", "han"} else MIN_LATIN_HEAD


def _min_stem(text: str) -> int:
    return MIN_CJK_STEM if detect_script(text) in {"kana", "han"} else MIN_LATIN_STEM


class _UnionFind:
    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _long_enough_prefix(text: str) -> bool:
    if detect_script(text) in {"kana", "han"}:
        return len(text.replace(" ", "")) >= MIN_CJK_PREFIX
    words = text.split()
    return len(words) >= MIN_LATIN_PREFIX_WORDS and len(text.replace(" ", "")) >= MIN_LATIN_PREFIX_LETTERS


def _stem_index(entries: Sequence[FranchiseInput]) -> dict[tuple[str, str], set[str]]:
    """``{(script, stem): keys}`` for every title of every entry."""
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for entry in entries:
        for script, titles in (
            ("latin", entry.latin_titles),
            ("ja", entry.japanese_titles),
            ("zh", entry.chinese_titles),
        ):
            for title in titles:
                s = stem(title)
                if s:
                    index[(script, s)].add(entry.key)
    return index


def _prefix_edges(index: dict[tuple[str, str], set[str]]) -> list[tuple[str, str]]:
    """Pairs (shorter stem entry, longer stem entry) where one stem is a word/character prefix."""
    edges: list[tuple[str, str]] = []
    by_script: dict[str, list[str]] = defaultdict(list)
    for script, s in index:
        by_script[script].append(s)
    for script, stems in by_script.items():
        ordered = sorted(stems)
        for i, short in enumerate(ordered):
            if not _long_enough_prefix(short):
                continue
            cjk = detect_script(short) in {"kana", "han"}
            longer: list[str] = []
            for candidate in ordered[i + 1 :]:
                if not candidate.startswith(short):
                    break
                rest = candidate[len(short) :]
                if cjk or rest.startswith(" "):
                    longer.append(candidate)
            if not longer or len(longer) > MAX_PREFIX_FAN_OUT:
                continue
            anchor = min(index[(script, short)])
            for candidate in longer:
                edges.extend((anchor, key) for key in index[(script, candidate)])
    return edges


def group_franchises(entries: Sequence[FranchiseInput]) -> list[Franchise]:
    """Group ``entries`` into franchises (every entry in exactly one), each in air order; the list
    is ordered by franchise key."""
    uf = _UnionFind(e.key for e in entries)
    by_tmdb: dict[tuple[str, int], list[str]] = defaultdict(list)
    for entry in entries:
        if entry.tmdb is not None:
            by_tmdb[entry.tmdb].append(entry.key)
    for keys in by_tmdb.values():
        for other in keys[1:]:
            uf.union(keys[0], other)
    index = _stem_index(entries)
    for same_stem in index.values():
        first, *rest = sorted(same_stem)
        for other in rest:
            uf.union(first, other)
    for a, b in _prefix_edges(index):
        uf.union(a, b)

    order = {e.key: (e.aired_from is None, e.aired_from or "", e.key) for e in entries}
    members: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        members[uf.find(entry.key)].append(entry.key)
    franchises = []
    for keys in members.values():
        keys.sort(key=order.__getitem__)
        franchises.append(Franchise(key=keys[0], members=keys))
    return sorted(franchises, key=lambda f: f.key)


SERIES_TYPES = frozenset({"TV", "ONA"})


def relation(position: int, other: int, dated: Sequence[bool], series: Sequence[bool] | None = None) -> str:
    """How the entry at ``other`` relates to the one at ``position`` in a franchise's air order.

    ``prequel`` / ``sequel``: the nearest dated neighbours; for a series (TV, ONA: ``series``
    flags) only other series count, so the sequel of a season is the next season, not an OVA
    aired in between. ``earlier`` / ``later``: the other dated entries. ``other``: either entry
    has no air date (the order is not known).
    """
    if not (dated[position] and dated[other]):
        return "other"
    flags = series if series is not None else [False] * len(dated)

    def eligible(i: int) -> bool:
        return dated[i] and (flags[i] or not flags[position])

    if other < position:
        nearest = max((i for i in range(position) if eligible(i)), default=None)
        return "prequel" if other == nearest else "earlier"
    nearest = min((i for i in range(position + 1, len(dated)) if eligible(i)), default=None)
    return "sequel" if other == nearest else "later"


def pairwise_scores(truth: Sequence[Sequence[str]], predicted: dict[str, str]) -> dict[str, float | int]:
    """Pairwise precision and recall of ``predicted`` (``{key: franchise key}``) against complete
    hand-checked franchises ``truth`` (lists of keys).

    Judged pairs are those with at least one entry in a hand-checked franchise: a predicted pair is
    right when both entries are in the same hand-checked franchise; a true pair is found when both
    entries got the same franchise key. Returns ``precision``, ``recall``, ``f1`` and the counts.
    """
    owner = {key: i for i, members in enumerate(truth) for key in members}
    groups: dict[str, list[str]] = defaultdict(list)
    for key, franchise in predicted.items():
        groups[franchise].append(key)
    predicted_pairs = correct = 0
    for keys in groups.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if a in owner or b in owner:
                    predicted_pairs += 1
                    correct += int(owner.get(a) == owner.get(b))
    true_pairs = found = 0
    for members in truth:
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                true_pairs += 1
                found += int(a in predicted and predicted.get(a) == predicted.get(b))
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = found / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "predicted_pairs": predicted_pairs,
        "correct_pairs": correct,
        "true_pairs": true_pairs,
        "found_pairs": found,
    }
