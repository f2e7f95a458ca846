"""Username skeletons: two names that look alike map to the same skeleton.

``username_skeleton`` follows Unicode TR39's idea of a skeleton: NFKC, then every character
replaced by one representative of its confusable set, then case folding and the replacement
again (so a capital ``I`` and a small ``l`` still meet). The sets come from the Unicode
confusables table shipped with ``confusable_homoglyphs``: characters linked by a
single-character homoglyph entry form one set (union-find), whose representative is its
smallest code point. ``QaHunt`` and the same name with a Cyrillic small a (U+0430) share a
skeleton, and so do ``levi``, ``Ievi`` (capital I) and the one with a Roman numeral fifty (U+217C).
"""

from __future__ import annotations

import threading
import unicodedata

from confusable_homoglyphs import confusables

_representatives: dict[str, str] | None = None
_lock = threading.Lock()


def _build() -> dict[str, str]:
    parent: dict[str, str] = {}

    def find(char: str) -> str:
        root = char
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(char, char) != root:
            parent[char], char = root, parent[char]
        return root

    for char, homoglyphs in confusables.confusables_data.items():
        if len(char) != 1:
            continue
        for homoglyph in homoglyphs:
            other = homoglyph["c"]
            if len(other) != 1:
                continue
            a, b = find(char), find(other)
            if a != b:
                low, high = (a, b) if ord(a) < ord(b) else (b, a)
                parent[high] = low
    return {char: find(char) for char in parent}


def _table() -> dict[str, str]:
    global _representatives
    if _representatives is None:
        with _lock:
            if _representatives is None:
                _representatives = _build()
    return _representatives


def username_skeleton(username: str) -> str:
    """The skeleton of ``username``: equal skeletons mean names a reader could mistake."""
    table = _table()
    mapped = "".join(table.get(c, c) for c in unicodedata.normalize("NFKC", username.strip()))
    return "".join(table.get(c, c) for c in unicodedata.normalize("NFKC", mapped.casefold()))
