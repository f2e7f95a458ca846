"""What every loading step shares: the report, the parquet readers, the step context."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq
from tqdm import tqdm

from animesite.storage import Location

BATCH_SIZE = 2000


@dataclass
class TableStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated


@dataclass
class LoadReport:
    tables: dict[str, TableStats] = field(default_factory=dict)
    etl_seconds: float | None = None
    load_seconds: float = 0.0
    search_documents: int | None = None
    search_error: str | None = None
    skipped: bool = False

    @property
    def changed(self) -> bool:
        return any(stats.changed for stats in self.tables.values())

    def lines(self) -> list[str]:
        out = [f"{'table':<20} {'created':>9} {'updated':>9} {'unchanged':>10}"]
        for name, s in self.tables.items():
            out.append(f"{name:<20} {s.created:>9,} {s.updated:>9,} {s.unchanged:>10,}")
        return out


class EtlOutputMissing(Exception):
    pass


class Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


def _read(etl_dir: Path | Location, name: str, columns: list[str] | None = None) -> Any:
    """One ETL table, from a path or URI (``animesite.storage.Location``)."""
    filesystem, path = (Location(etl_dir) / name).filesystem()
    return pq.read_table(path, columns=columns, filesystem=filesystem)


def read_table(etl_dir: Path | Location, name: str) -> list[dict[str, Any]]:
    return list(_read(etl_dir, name).to_pylist())


def read_columns(etl_dir: Path | Location, name: str, columns: Sequence[str]) -> list[list[Any]]:
    table = _read(etl_dir, name, list(columns))
    return [table.column(c).to_pylist() for c in columns]


def batches(rows: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@dataclass
class LoadContext:
    """One load run: where the ETL output is, how to report, and the ids resolved so far.

    ``anime_keys`` maps catalogue keys (``mal:<id>``, ``bgm:<id>``) and ``anime_ids`` MyAnimeList
    ids to anime primary keys (filled by the catalogue step and read by the later ones).
    """

    etl_dir: Path | Location
    progress: bool
    write: Callable[[str], None]
    report: LoadReport = field(default_factory=lambda: LoadReport())
    anime_ids: dict[int, int] = field(default_factory=dict)
    anime_keys: dict[str, int] = field(default_factory=dict)

    def bar(self, **kwargs: Any) -> tqdm[Any]:
        return tqdm(disable=not self.progress, leave=False, dynamic_ncols=True, **kwargs)

    def stats(self, name: str) -> TableStats:
        return self.report.tables.setdefault(name, TableStats())
