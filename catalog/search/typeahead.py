"""Autocomplete from an in-process title index, rebuilt when the catalogue generation moves.

Suggestions are asked on every keystroke, so they are answered without any network round trip:
each web process keeps every visible anime's titles, folded (``catalog.search.normalize``), in a
few sorted lists and dictionaries (about 20 MB for 20,000 anime). The scoring mirrors the search
engine's (constant amounts per kind of match, summed, multiplied by popularity):

==============================================  ======
signal                                           amount
==============================================  ======
a title equals the input (folded or compact)       12
the input starts a title, or is a phrase of one     4
   (compact forms too: ``steinsga`` -> Steins;Gate)
every input word starts a title word (the last       3
   possibly unfinished); CJK: the title contains it
every Latin word within the edit distance of a       1
   title word (1 edit for 3-5 letters, 2 beyond, a
   swap of neighbours counting as one; the first
   letter must match), last one as prefix
==============================================  ======

The sum is multiplied by ``1 + log10(1 + members)``; ties go to more members, then to the lower
MyAnimeList id. Nothing matches below one of the signals.

Freshness: the index records the catalogue generation (``catalog.selectors.catalog_generation``)
it was built at; a request that finds the generation moved (looked up at most every
``CHECK_INTERVAL_SECONDS``) starts a rebuild in a background thread and keeps answering from the
previous index until the new one is complete. Before the first build completes
:func:`current` returns ``None`` and autocomplete asks the search engine instead.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from rapidfuzz.distance import OSA

from catalog.documents import CJK_RE, has_cjk
from catalog.models import Anime, AnimeTitle
from catalog.search.normalize import compact, compact_folded, fold, words, words_folded

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 2.0

_TOKEN_RUN_RE = re.compile(f"{CJK_RE.pattern}+|(?:(?!{CJK_RE.pattern})[^\\W_])+")

EXACT = 12.0
PHRASE = 4.0
WORDS = 3.0
FUZZY = 1.0
POPULARITY_WEIGHT = 1.0

_KIND_RANK: dict[str, int] = {
    AnimeTitle.Kind.MAIN: 0,
    AnimeTitle.Kind.OFFICIAL: 1,
    AnimeTitle.Kind.SYNONYM: 2,
}


def cjk_tokenize(folded: str) -> list[str]:
    """The tokens the engine's ``cjk`` analyser makes of a folded text, in order: overlapping
    pairs of neighbouring CJK characters (a lone one stays single) and Latin/digit words."""
    tokens: list[str] = []
    for run in _TOKEN_RUN_RE.findall(folded):
        if has_cjk(run[0]):
            tokens.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        else:
            tokens.append(run)
    return tokens


def fuzzy_distance(word: str) -> int:
    """Elasticsearch's ``fuzziness: AUTO``: 0 edits up to 2 letters, 1 up to 5, 2 beyond."""
    return 0 if len(word) <= 2 else (1 if len(word) <= 5 else 2)


@dataclass
class Entry:
    anime_id: int
    mal_id: int | None
    members: int
    type: str | None
    year: int | None
    cover_url: str
    display: dict[str, str]
    titles: list[str]  # every title once, display titles first
    keys: list[str]  # fold() of each title, same order
    packed: list[str]  # compact() of each title, same order
    popularity: float = 1.0


@dataclass
class TitleIndex:
    """Every visible anime's titles in lookup structures (read-only once built)."""

    generation: str
    entries: list[Entry] = field(default_factory=list)
    # (folded title, entry) and (compact title, entry), sorted: titles starting with the input.
    starts: list[tuple[str, int]] = field(default_factory=list)
    exact: dict[str, set[int]] = field(default_factory=dict)
    # Latin words: sorted vocabulary, postings and the vocabulary by first letter for typos.
    vocabulary: list[str] = field(default_factory=list)
    postings: dict[str, set[int]] = field(default_factory=dict)
    by_initial: dict[str, list[str]] = field(default_factory=dict)
    # Titles with CJK characters: (folded title, entry).
    cjk: list[tuple[str, int]] = field(default_factory=list)
    # CJK titles' tokens as the engine's ``cjk`` analyser makes them (character pairs, lone
    # characters, Latin words) -> entries: the search title stage (``catalog.search.titles``).
    cjk_tokens: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        generation: str,
        anime: Iterable[Mapping[str, Any]],
        titles: Iterable[tuple[int, str, str, int]],
    ) -> TitleIndex:
        """``anime``: dicts of the Anime columns; ``titles``: (anime_id, text, kind, id) rows."""
        extra: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        for anime_id, text, kind, title_id in titles:
            extra[anime_id].append((_KIND_RANK.get(kind, 3), title_id, text))
        index = cls(generation=generation)
        starts: list[tuple[str, int]] = []
        exact: dict[str, set[int]] = defaultdict(set)
        postings: dict[str, set[int]] = defaultdict(set)
        cjk_tokens: dict[str, set[int]] = defaultdict(set)
        for row in anime:
            names = [
                row["title"],
                row["title_en"],
                row["title_ja"],
                row["title_zh_hans"],
                row["title_zh_hant"],
                *(text for _rank, _id, text in sorted(extra.get(row["id"], []))),
            ]
            seen: set[str] = set()
            entry_titles: list[str] = []
            for name in names:
                name = (name or "").strip()
                if name and name.casefold() not in seen:
                    seen.add(name.casefold())
                    entry_titles.append(name)
            position = len(index.entries)
            keys = [fold(t) for t in entry_titles]
            packed_keys = [compact_folded(k) for k in keys]
            members = int(row["members"] or 0)
            index.entries.append(
                Entry(
                    anime_id=row["id"],
                    mal_id=row["mal_id"],
                    members=members,
                    type=row["type"] or None,
                    year=row["year"],
                    cover_url=row["cover_url"] or "",
                    display={
                        "main": row["title"] or "",
                        "en": row["title_en"] or "",
                        "ja": row["title_ja"] or "",
                        "zh_hans": row["title_zh_hans"] or "",
                        "zh_hant": row["title_zh_hant"] or "",
                    },
                    titles=entry_titles,
                    keys=keys,
                    packed=packed_keys,
                    popularity=1 + POPULARITY_WEIGHT * math.log10(1 + members),
                )
            )
            for key, packed in set(zip(keys, packed_keys, strict=True)):
                exact[key].add(position)
                starts.append((key, position))
                if packed and packed != key:
                    exact[packed].add(position)
                    starts.append((packed, position))
                if has_cjk(key):
                    index.cjk.append((key, position))
                    for token in cjk_tokenize(key):
                        cjk_tokens[token].add(position)
                for word in words_folded(key):
                    postings[word].add(position)
        starts.sort()
        index.starts = starts
        index.exact = dict(exact)
        index.postings = dict(postings)
        index.cjk_tokens = dict(cjk_tokens)
        index.vocabulary = sorted(postings)
        initials: dict[str, list[str]] = defaultdict(list)
        for word in index.vocabulary:
            initials[word[0]].append(word)
        index.by_initial = dict(initials)
        return index

    # --- lookups ------------------------------------------------------------------------------

    def _starting(self, prefix: str) -> set[int]:
        out: set[int] = set()
        i = bisect.bisect_left(self.starts, (prefix, -1))
        while i < len(self.starts) and self.starts[i][0].startswith(prefix):
            out.add(self.starts[i][1])
            i += 1
        return out

    def _word_prefix(self, prefix: str) -> set[int]:
        out: set[int] = set()
        i = bisect.bisect_left(self.vocabulary, prefix)
        while i < len(self.vocabulary) and self.vocabulary[i].startswith(prefix):
            out |= self.postings[self.vocabulary[i]]
            i += 1
        return out

    def _word_fuzzy(self, word: str, *, last: bool) -> set[int]:
        """Entries with a title word within ``fuzzy_distance(word)`` edits (the last word: of a
        title word's start), the first letter unchanged."""
        limit = fuzzy_distance(word)
        if limit == 0:
            return self._word_prefix(word) if last else set(self.postings.get(word, ()))
        out: set[int] = set()
        n = len(word)
        for candidate in self.by_initial.get(word[0], ()):
            if abs(len(candidate) - n) > limit and not (last and len(candidate) > n):
                continue
            if OSA.distance(word, candidate, score_cutoff=limit) <= limit or (
                last
                and len(candidate) > n
                and min(
                    OSA.distance(word, candidate[: n + d], score_cutoff=limit)
                    for d in range(-limit, limit + 1)
                    if 0 < n + d <= len(candidate)
                )
                <= limit
            ):
                out |= self.postings[candidate]
        return out

    def containing(self, q: str) -> dict[int, int]:
        """``{anime id: rank}`` of the anime with a title containing ``q``, compared folded and
        compact (so script, width, case, accents, spaces and punctuation do not matter); rank 0
        for an equal title, 1 for a title starting with ``q``, 2 otherwise. The database
        fallback's matcher."""
        folded, packed = fold(q), compact(q)
        if not folded:
            return {}
        out: dict[int, int] = {}
        for entry in self.entries:
            best = 3
            for key, key_packed in zip(entry.keys, entry.packed, strict=True):
                if key == folded or (packed and key_packed == packed):
                    best = 0
                    break
                if key.startswith(folded) or (packed and key_packed.startswith(packed)):
                    best = min(best, 1)
                elif folded in key or (packed and packed in key_packed):
                    best = min(best, 2)
            if best < 3:
                out[entry.anime_id] = best
        return out

    def suggest(self, q: str, *, size: int) -> list[tuple[Entry, str]]:
        """The ``size`` best entries for ``q`` with the title each matched, best first."""
        folded = fold(q)
        packed = compact(q)
        if not folded:
            return []
        scores: dict[int, float] = defaultdict(float)
        for position in self.exact.get(folded, set()) | (self.exact.get(packed, set()) if packed else set()):
            scores[position] += EXACT
        phrase = self._starting(folded) | (self._starting(packed) if len(packed) >= 2 else set())
        latin = words(folded)
        every_word: set[int] | None = None
        if latin:
            for word in latin:
                found = self._word_prefix(word)
                every_word = found if every_word is None else every_word & found
                if not every_word:
                    break
        if has_cjk(folded):
            contains = {position for key, position in self.cjk if folded in key}
            every_word = contains if every_word is None or not latin else every_word & contains
            phrase |= {p for p in contains if any(k.startswith(folded) for k in self.entries[p].keys)}
        every_word = every_word or set()
        # A phrase anywhere in a title (word-aligned): "no kyojin" in "shingeki no kyojin".
        if latin and len(latin) > 1:
            needle = " " + folded
            for position in every_word - phrase:
                if any(needle in " " + key for key in self.entries[position].keys):
                    phrase.add(position)
        for position in phrase:
            scores[position] += PHRASE
        for position in every_word:
            scores[position] += WORDS
        if latin:
            fuzzy: set[int] | None = None
            for n, word in enumerate(latin):
                found = self._word_fuzzy(word, last=n == len(latin) - 1)
                fuzzy = found if fuzzy is None else fuzzy & found
                if not fuzzy:
                    break
            for position in fuzzy or ():
                scores[position] += FUZZY
        best = heapq.nlargest(
            size,
            scores.items(),
            key=lambda item: (
                item[1] * self.entries[item[0]].popularity,
                self.entries[item[0]].members,
                -(self.entries[item[0]].mal_id or 0),
            ),
        )
        return [(self.entries[p], matched_title(folded, self.entries[p])) for p, _score in best]


def matched_title(folded: str, entry: Entry) -> str:
    """The title the folded input matched best: one starting with it, else containing it, else
    one sharing a word's start, else the first title."""
    pairs = list(zip(entry.titles, entry.keys, entry.packed, strict=True))
    packed = compact_folded(folded)
    for title, key, key_packed in pairs:
        if key.startswith(folded) or (packed and key_packed.startswith(packed)):
            return title
    for title, key, _packed in pairs:
        if folded in key:
            return title
    query_words = words_folded(folded)
    for title, key, _packed in pairs:
        title_words = words_folded(key)
        if query_words and any(tw.startswith(w) for w in query_words for tw in title_words):
            return title
    return entry.titles[0] if entry.titles else ""


# --- the process-wide index -------------------------------------------------------------------

_lock = threading.Lock()
_index: TitleIndex | None = None
_building = False
_checked_at = float("-inf")
_seen_generation: str | None = None


def _generation() -> str:
    from catalog.selectors import catalog_generation

    try:
        return catalog_generation()
    except Exception:  # Redis down: keep whatever index there is
        logger.warning("catalogue generation unreadable; autocomplete keeps its index", exc_info=True)
        return _index.generation if _index is not None else "0"


def build(generation: str) -> TitleIndex:
    """Read every visible anime and its titles from the database and index them (a few seconds
    for the full catalogue)."""
    started = time.perf_counter()
    anime = list(
        Anime.objects.visible()
        .order_by("id")
        .values(
            "id",
            "mal_id",
            "title",
            "title_en",
            "title_ja",
            "title_zh_hans",
            "title_zh_hant",
            "members",
            "type",
            "year",
            "cover_url",
        )
    )
    titles = AnimeTitle.objects.filter(anime__is_hidden=False).values_list("anime_id", "text", "kind", "id")
    index = TitleIndex.build(generation=generation, anime=anime, titles=titles.iterator(chunk_size=5000))
    logger.info(
        "autocomplete index: %d anime, %d words in %.1f s",
        len(index.entries),
        len(index.vocabulary),
        time.perf_counter() - started,
    )
    return index


def _build_in_background(generation: str) -> None:
    global _index, _building
    from django.db import connection

    try:
        index = build(generation)
        with _lock:
            _index = index
    except Exception:
        logger.warning("autocomplete index not built; the search engine answers meanwhile", exc_info=True)
    finally:
        connection.close()
        with _lock:
            _building = False


def refresh(*, wait: bool = False) -> None:
    """Start a rebuild unless one is running (``wait``: build in this thread, for tests and
    warm-up)."""
    global _building, _seen_generation, _checked_at
    generation = _generation()
    with _lock:
        _seen_generation = generation
        _checked_at = time.monotonic()
        if _building and not wait:
            return
        _building = True
    if wait:
        global _index
        try:
            index = build(generation)
            with _lock:
                _index = index
        finally:
            with _lock:
                _building = False
        return
    threading.Thread(
        target=_build_in_background, args=(generation,), name="typeahead-build", daemon=True
    ).start()


def current() -> TitleIndex | None:
    """The index to answer from (possibly one generation old while a rebuild runs), or ``None``
    before the first build; starts a rebuild when the catalogue generation moved."""
    global _checked_at, _seen_generation
    if not getattr(settings, "SEARCH_TYPEAHEAD_ENABLED", True):
        return None
    now = time.monotonic()
    if now - _checked_at >= CHECK_INTERVAL_SECONDS:
        _checked_at = now
        generation = _generation()
        index = _index
        if (index is None or index.generation != generation) and not _building:
            refresh()
    return _index


def reset() -> None:
    """Forget the index (tests)."""
    global _index, _checked_at, _seen_generation
    with _lock:
        _index = None
        _checked_at = float("-inf")
        _seen_generation = None
