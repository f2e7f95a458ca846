"""The ETL's published output: table names and the manifest that marks a complete output.

Kept free of Spark so that readers (the loader, ``--if-empty`` checks) start fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from animesite.storage import Location

MANIFEST = "manifest.json"

OUTPUT_TABLES = (
    "anime",
    "franchises",
    "anime_titles",
    "anime_genres",
    "anime_tags",
    "external_ids",
    "users",
    "interactions",
)


def read_manifest(output_dir: Path | str | Location) -> dict[str, Any] | None:
    """The manifest of a complete ETL output (a path or URI), or ``None`` when the output is
    missing or partial."""
    folder = Location(output_dir)
    try:
        if not (folder / MANIFEST).is_file():
            return None
        data: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not all((folder / name).is_dir() for name in OUTPUT_TABLES):
        return None
    return data
