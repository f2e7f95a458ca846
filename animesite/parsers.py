"""Request body parsing with limits: a JSON body over ``JSON_MAX_BYTES``, nested deeper than
``JSON_MAX_DEPTH`` (Python's parser would otherwise recurse until ``RecursionError``) or holding a
lone surrogate (an error message echoing it could not be encoded) is a 400, never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The API's bodies are flat forms (credentials, one collection entry): 32 levels is generous.
JSON_MAX_DEPTH = 32


_SURROGATE = re.compile("[\ud800-\udfff]")


def _refusal(value: Any, limit: int) -> str | None:
    """Why a parsed body is refused, or None: containers nested deeper than ``limit`` levels, or a
    string (value or key) holding a lone UTF-16 surrogate (``"\\ud800"`` is valid JSON but no
    Unicode text: nothing can store or echo it). Iterative, no recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth > limit:
            return _("The JSON body is nested deeper than %(n)d levels.") % {"n": limit}
        if isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and _SURROGATE.search(item):
            return _("The JSON body holds a lone surrogate (\\ud800-\\udfff), which is not text.")
    return None


def _nesting_before_parse(raw: bytes, limit: int) -> bool:
    """Cheap pre-scan: bracket depth outside strings exceeds ``limit`` (so the parser never recurses
    thousands of levels)."""
    depth = 0
    in_string = False
    escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with a size and a nesting limit (both answered with a 400)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or 2_621_440)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(_("The request body is larger than %(n)d bytes.") % {"n": limit})
        if _nesting_before_parse(raw, JSON_MAX_DEPTH):
            raise ParseError(_("The JSON body is nested deeper than %(n)d levels.") % {"n": JSON_MAX_DEPTH})
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(_("JSON parse error - %(e)s") % {"e": exc}) from exc
        refusal = _refusal(data, JSON_MAX_DEPTH)
        if refusal is not None:
            raise ParseError(refusal)
        return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
