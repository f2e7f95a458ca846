"""Text normalisation shared by the index, the queries, autocomplete and the database fallback.

- ``fold(text)``: the searchable form of a title or a query: Unicode NFKC (full-width letters and
  digits, half-width katakana, compatibility ideographs), case folding, accents removed from Latin
  letters, Japanese shinjitai mapped to the traditional form (OpenCC ``JPVariants``, reversed) and
  then every traditional Chinese character to simplified (OpenCC ``TSCharacters``, character by
  character, so folding is one ``str.translate`` per table). ``命運石之門`` and
  ``命运石之门`` fold alike, and so do ``進撃の巨人`` and ``進擊の巨人``.
- ``compact(text)``: ``fold`` without anything but letters and digits (spaces, punctuation and
  symbols dropped): ``Steins;Gate``, ``SteinsGate`` and ``Steins Gate`` are all ``steinsgate``.
- ``words(text)``: the folded Latin/digit words of a text (split on anything else).

Conversion data: OpenCC (``opencc-python-reimplemented``, Apache-2.0), dictionaries
``TSCharacters`` and ``JPVariants``; ``s2t`` for :func:`to_traditional`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import opencc

_S2T = opencc.OpenCC("s2t")
_NON_ALNUM_RE = re.compile(r"[\W_]+", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")
_LATIN_WORD_RE = re.compile(r"[0-9a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]+")


def _shinjitai_to_traditional() -> dict[int, str]:
    """Japanese new forms -> the traditional form OpenCC lists first (``JPVariants.txt``)."""
    path = Path(opencc.__file__).parent / "dictionary" / "JPVariants.txt"
    table: dict[int, str] = {}
    for line in path.read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        traditional, japanese = parts[0], parts[1].split(" ")[0]
        if len(traditional) == 1 and len(japanese) == 1 and ord(japanese) not in table:
            table[ord(japanese)] = traditional
    return table


def _traditional_to_simplified() -> dict[int, str]:
    """Traditional -> simplified Chinese, character by character (``TSCharacters.txt``, the first
    candidate): the same folding at index and query time matters more here than phrase context."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            simplified = parts[1].split(" ")[0]
            if len(simplified) == 1 and simplified != parts[0]:
                table[ord(parts[0])] = simplified
    return table


_JP_TO_TRADITIONAL = _shinjitai_to_traditional()
_T2S = _traditional_to_simplified()


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed == text:
        return text
    # Drop combining marks on Latin letters only; kana voicing marks must stay (recomposed by NFKC).
    out: list[str] = []
    for ch in decomposed:
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue
        out.append(ch)
    return unicodedata.normalize("NFKC", "".join(out))


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """The searchable form of ``text`` (see the module docstring); spaces collapsed."""
    value = unicodedata.normalize("NFKC", text or "").casefold()
    value = _strip_accents(value).translate(_JP_TO_TRADITIONAL).translate(_T2S)
    return _SPACE_RE.sub(" ", value).strip()


def compact(text: str) -> str:
    """``fold(text)`` with only letters and digits left (no spaces, punctuation or symbols)."""
    return compact_folded(fold(text))


def compact_folded(folded: str) -> str:
    """``compact`` of a text that is already ``fold``-ed."""
    return _NON_ALNUM_RE.sub("", folded)


def words(text: str) -> list[str]:
    """The Latin-script (and digit) words of ``fold(text)``, in order."""
    return words_folded(fold(text))


def words_folded(folded: str) -> list[str]:
    """``words`` of a text that is already ``fold``-ed."""
    return _LATIN_WORD_RE.findall(folded)


def to_traditional(text: str) -> str:
    """``text`` with simplified Chinese characters in their traditional form (OpenCC ``s2t``)."""
    return _S2T.convert(text) if any(ord(ch) >= 0x2E80 for ch in text) else text
