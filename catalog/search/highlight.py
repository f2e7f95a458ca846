"""Search highlights computed here, for the page of results only, instead of by the search engine.

The engine's highlighter runs the text query a second time over every hit field; marking the
twenty titles and synopses of one page in Python costs well under a millisecond each, with the
same rules the query uses:

- Latin words: a text word is marked when its folded form (``catalog.search.normalize.fold``)
  starts with a query word, or is within the query's edit distance of one (fuzziness AUTO, the
  first letter kept).
- CJK: every character covered by an occurrence of a query character pair (or of a lone query
  character when the query has one CJK character), compared folded, so a simplified query marks
  a traditional title.

Output: HTML-escaped text with marked words in ``<em>...</em>``; titles whole, the synopsis as one
fragment of about ``FRAGMENT_SIZE`` characters around the first mark. Only texts with a mark are
returned.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from rapidfuzz.distance import OSA

from catalog.documents import CJK_RE, has_cjk
from catalog.search.normalize import compact, fold, words
from catalog.search.typeahead import fuzzy_distance

FRAGMENT_SIZE = 160
_WORD_RE = re.compile(r"\w+", re.UNICODE)


class Highlighter:
    """Marks the words of one query in texts; build once per request."""

    def __init__(self, q: str) -> None:
        folded = fold(q)
        self.compact = compact(q) if len(compact(q)) >= 4 else ""
        self.latin = words(folded)
        cjk_chars = [ch for ch in folded if CJK_RE.match(ch)]
        cjk_runs = ["".join(run) for run in re.findall(CJK_RE.pattern + "+", folded)]
        if len(cjk_chars) == 1:
            self.cjk_grams = set(cjk_chars)
        else:
            self.cjk_grams = {run[i : i + 2] for run in cjk_runs for i in range(len(run) - 1)}

    def _latin_match(self, word: str) -> bool:
        key = fold(word)
        for q in self.latin:
            if key.startswith(q):
                return True
            limit = fuzzy_distance(q)
            if limit and key[:1] == q[:1] and OSA.distance(key, q, score_cutoff=limit) <= limit:
                return True
        return False

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Sorted, merged ``(start, end)`` character ranges of ``text`` to mark."""
        marked = [False] * len(text)
        if self.latin:
            for m in _WORD_RE.finditer(text):
                if not has_cjk(m.group()) and self._latin_match(m.group()):
                    for i in range(m.start(), m.end()):
                        marked[i] = True
        if self.cjk_grams:
            folded = [fold(ch) or ch for ch in text]
            size = 1 if all(len(g) == 1 for g in self.cjk_grams) else 2
            for i in range(len(text) - size + 1):
                if "".join(folded[i : i + size]) in self.cjk_grams:
                    for j in range(i, i + size):
                        marked[j] = True
        out: list[tuple[int, int]] = []
        start = None
        for i, flag in enumerate([*marked, False]):
            if flag and start is None:
                start = i
            elif not flag and start is not None:
                out.append((start, i))
                start = None
        return out

    @staticmethod
    def _render(text: str, spans: list[tuple[int, int]]) -> str:
        parts: list[str] = []
        at = 0
        for start, end in spans:
            parts.append(html.escape(text[at:start], quote=False))
            parts.append(f"<em>{html.escape(text[start:end], quote=False)}</em>")
            at = end
        parts.append(html.escape(text[at:], quote=False))
        return "".join(parts)

    def titles(self, titles: Iterable[str]) -> list[str]:
        out: list[str] = []
        for title in titles:
            spans = self.spans(title)
            if not spans and self.compact and compact(title).startswith(self.compact):
                spans = [(0, len(title))]  # joined words: "steinsgate" in "Steins;Gate"
            if spans:
                out.append(self._render(title, spans))
        return out

    def fragment(self, text: str) -> str | None:
        """One fragment of ``text`` around its first mark, or ``None`` without a mark."""
        if not text:
            return None
        spans = self.spans(text)
        if not spans:
            return None
        if len(text) <= FRAGMENT_SIZE:
            return self._render(text, spans)
        first = spans[0][0]
        start = max(0, first - FRAGMENT_SIZE // 4)
        # Start on a word boundary when there is one before the mark.
        space = text.find(" ", start, first)
        if start > 0 and space != -1:
            start = space + 1
        end = min(len(text), start + FRAGMENT_SIZE)
        window = [(max(s, start) - start, min(e, end) - start) for s, e in spans if e > start and s < end]
        return self._render(text[start:end], window)
