"""External data sets (public benchmarks) as train / test files, for the same evaluation.

Two formats:

* ``lines``: one user per line, ``user item item ...`` (whitespace separated); the order of the
  items on the line is the user's behaviour sequence;
* ``csv``: ``user,item[,rating[,timestamp]]``, an optional header line; ratings on a 1-5 scale
  (every rating <= 5) are doubled onto the site's 1-10 scale; rows are ordered by timestamp when
  there is one, else by their order in the file.

Ids are strings; users and items are renumbered over both files. Items carry no metadata.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recsys.pipeline.data import Dataset, ItemTable

_HEADER_USER = frozenset({"user", "user_id", "userid", "uid", "users"})


@dataclass
class _Rows:
    users: list[str]
    items: list[str]
    ratings: list[float]
    times: list[float]


def detect_format(path: Path) -> str:
    """``csv`` when the first non-empty line has a comma, else ``lines``."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                return "csv" if "," in line else "lines"
    return "lines"


def _read_lines(path: Path, rows: _Rows) -> None:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2:
                continue
            user = parts[0]
            for item in parts[1:]:
                rows.users.append(user)
                rows.items.append(item)
                rows.ratings.append(np.nan)
                rows.times.append(float(len(rows.times)))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_csv(path: Path, rows: _Rows) -> None:
    start = len(rows.times)
    stamped: list[float] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for n, rec in enumerate(csv.reader(fh)):
            if len(rec) < 2:
                continue
            header = rec[0].strip().lower() in _HEADER_USER or (len(rec) > 2 and not _is_number(rec[2]))
            if n == 0 and header:
                continue
            rows.users.append(rec[0].strip())
            rows.items.append(rec[1].strip())
            rows.ratings.append(float(rec[2]) if len(rec) > 2 and _is_number(rec[2]) else np.nan)
            stamped.append(float(rec[3]) if len(rec) > 3 and _is_number(rec[3]) else np.nan)
    order = np.arange(len(stamped), dtype=np.float64) + start
    ts = np.asarray(stamped, dtype=np.float64)
    rows.times.extend(np.where(np.isnan(ts), order, ts).tolist())


def read_interaction_file(path: Path, fmt: str = "auto") -> _Rows:
    """Read one file in ``lines`` or ``csv`` format (``auto``: :func:`detect_format`)."""
    kind = detect_format(path) if fmt == "auto" else fmt
    if kind not in {"lines", "csv"}:
        raise ValueError(f"unknown format {fmt!r}: use lines, csv or auto")
    rows = _Rows([], [], [], [])
    (_read_csv if kind == "csv" else _read_lines)(path, rows)
    return rows


def line_sequence_positions(
    user: npt.NDArray[np.int32], times: npt.NDArray[np.float64], line: npt.NDArray[np.int64]
) -> npt.NDArray[np.int32]:
    """Each row's position in its user's sequence: timestamped rows by time after the undated
    ones, ties and undated rows by ``line`` (the row's line number across train + test files)."""
    u = np.asarray(user, dtype=np.int64)
    t = np.asarray(times, dtype=np.float64)
    key_time = np.where(np.isnan(t), -np.inf, t)
    order = np.lexsort((np.asarray(line), key_time, u))
    pos = np.empty(u.shape[0], dtype=np.int32)
    if u.size == 0:
        return pos
    sorted_users = u[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_users)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, u.shape[0]]))
    pos[order] = (np.arange(u.shape[0]) - run_start).astype(np.int32)
    return pos


def dataset_from_files(train: Path, test: Path, fmt: str = "auto") -> tuple[Dataset, npt.NDArray[np.bool_]]:
    """A :class:`Dataset` of both files and the mask of its test rows.

    Pairs present in both files count once, as training rows.

    Returns
    -------
    dataset : Dataset
    test_rows : numpy.ndarray of bool
    """
    tr = read_interaction_file(train, fmt)
    te = read_interaction_file(test, fmt)
    users = np.array(tr.users + te.users, dtype=object)
    items = np.array(tr.items + te.items, dtype=object)
    ratings = np.asarray(tr.ratings + te.ratings, dtype=np.float64)
    times = np.asarray(tr.times + te.times, dtype=np.float64)
    is_test = np.r_[np.zeros(len(tr.users), dtype=bool), np.ones(len(te.users), dtype=bool)]
    if np.isfinite(ratings).any() and np.nanmax(ratings) <= 5:
        ratings = ratings * 2.0
    user_ids, user_idx = np.unique(users.astype(str), return_inverse=True)
    item_ids, item_idx = np.unique(items.astype(str), return_inverse=True)
    # Keep the first occurrence of each pair (training rows come first).
    pair = user_idx.astype(np.int64) * len(item_ids) + item_idx
    _, first = np.unique(pair, return_index=True)
    keep = np.sort(first)
    numeric_items = np.array([int(x) if x.lstrip("-").isdigit() else i for i, x in enumerate(item_ids)])
    numeric_users = np.array([int(x) if x.lstrip("-").isdigit() else i for i, x in enumerate(user_ids)])
    dataset = Dataset(
        user_ids=numeric_users.astype(np.int64),
        items=ItemTable.bare(numeric_items),
        user=user_idx[keep].astype(np.int32),
        item=item_idx[keep].astype(np.int32),
        score=np.where(np.isfinite(ratings[keep]), ratings[keep], np.nan).astype(np.float32),
        favorite=np.zeros(keep.size, dtype=bool),
        timestamp=np.full(keep.size, np.nan),
    )
    # Sequences: by timestamp where the file has them, else (and for ties) by line order; never
    # by the item ids, whose order as text means nothing.
    dataset.sequence = line_sequence_positions(dataset.user, times[keep], keep)
    return dataset, is_test[keep]
