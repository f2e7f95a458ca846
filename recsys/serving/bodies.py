"""JSON bodies encoded once for answers that are served many times."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.utils.encoders import JSONEncoder


def json_body(data: Any) -> bytes:
    """``data`` as the API's JSON renderer writes it (compact, UTF-8, DRF's encoder)."""
    return json.dumps(
        data, cls=JSONEncoder, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()
