"""Whole numbers read from text a client sent (query strings, uploaded files)."""

from __future__ import annotations

import sys


def ascii_whole(text: str, maximum: int = sys.maxsize) -> int | None:
    """``text`` as a whole number from 0 to ``maximum`` written in ASCII digits (leading zeros
    allowed), else None.

    Both checks stand between the client and a 500: ``str.isdigit`` also accepts superscripts
    such as ``²``, which ``int`` refuses, and ``int`` refuses text of more than 4,300 digits
    (``sys.set_int_max_str_digits``), so the length is bounded before converting.
    """
    digits = text.lstrip("0") or "0"  # int() counts leading zeros towards its limit too
    if not (text.isascii() and text.isdigit()) or len(digits) > len(str(maximum)):
        return None
    value = int(digits)
    return value if value <= maximum else None
