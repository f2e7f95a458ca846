"""Small numeric helpers of the recommenders: array files, dense linear algebra, and the ranker's
training groups kept in one float32 table on disk (:class:`GroupStore`)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import scipy.linalg
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float32]


def save_arrays(directory: Path, meta: dict[str, Any], **arrays: npt.NDArray[Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, value in arrays.items():
        np.save(directory / f"{name}.npy", value, allow_pickle=False)
    (directory / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")


def load_array(directory: Path, name: str, mmap: bool = False) -> npt.NDArray[Any]:
    loaded = np.load(directory / f"{name}.npy", allow_pickle=False, mmap_mode="r" if mmap else None)
    # A plain ndarray view of the mapping: the pages stay shared between processes, and indexing
    # skips numpy.memmap's per-call bookkeeping.
    array: npt.NDArray[Any] = np.asarray(loaded)
    return array


def load_meta(directory: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    return meta


def spd_inverse(a: FloatArray) -> FloatArray:
    """Inverse of a symmetric positive definite matrix through its Cholesky factor (LAPACK
    ``potrf`` + ``potri``: about half the work of a general inverse). ``a`` is overwritten."""
    lapack = scipy.linalg.lapack
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (a,))
    factor, info = potrf(a, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"Cholesky factorisation failed (info={info})")
    inv, info = potri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"inverse from the Cholesky factor failed (info={info})")
    symmetrise_upper(inv)
    return np.asarray(inv, dtype=a.dtype)


def symmetrise_upper(a: npt.NDArray[Any], block: int = 512) -> None:
    """Copy the upper triangle of a square matrix onto its lower one, in place, block by block
    (no full-size temporary)."""
    n = a.shape[0]
    for start in range(0, n, block):
        stop = min(start + block, n)
        a[start:stop, :start] = a[:start, start:stop].T
        diag = a[start:stop, start:stop]
        diag[...] = np.triu(diag) + np.triu(diag, 1).T


def gram_matrix(
    x: sp.csr_matrix, columns: npt.NDArray[Any] | None = None, *, block: int = 1024
) -> FloatArray:
    """Dense ``X_c^T X_c`` (float32) of the columns ``columns`` of ``x`` (default: every column).

    Built ``block`` rows at a time straight into the output, so the only memory beyond the
    ``len(columns)``-squared result is one block's sparse product (the full sparse ``X^T X`` of a
    dense-ish catalogue would be several times the dense result).
    """
    xc = (x if columns is None else x[:, np.asarray(columns)]).tocsc().astype(np.float32)
    n = xc.shape[1]
    out = np.empty((n, n), dtype=np.float32)
    xr = xc.tocsr()
    for start in range(0, n, block):
        stop = min(start + block, n)
        out[start:stop] = (xc[:, start:stop].T @ xr).toarray()
    return out


def supported_columns(
    x: sp.csr_matrix, *, min_rows: int, max_columns: int | None = None
) -> npt.NDArray[np.int32]:
    """Columns of ``x`` with at least ``min_rows`` stored entries, at most ``max_columns`` of them
    (the most supported; ties by index), in increasing order."""
    counts = np.bincount(x.tocsr().indices, minlength=x.shape[1])
    kept = np.flatnonzero(counts >= min_rows)
    if max_columns is not None and kept.size > max_columns:
        order = np.lexsort((kept, -counts[kept]))
        kept = np.sort(kept[order[:max_columns]])
    return kept.astype(np.int32)


Group = tuple[FloatArray, FloatArray]


class GroupStore(Sequence[Group]):
    """The ranker's training groups (one per user: ``(features, labels)``) as one float32 table.

    Features are appended group by group through a fixed write buffer into a scratch file, so
    the table exists once, outside the process's heap (the page cache keeps what fits; nothing is
    copied into anonymous memory); :meth:`__getitem__` reads one group back (``pread``). Labels
    (one float32 per row) stay in memory. Call :meth:`finish` after the last :meth:`append`
    and :meth:`close` (or use ``with``) to delete the file.

    Parameters
    ----------
    n_features : int
        Columns per row.
    directory : str or pathlib.Path, optional
        Where the scratch file goes (default: the system temporary folder, ``TMPDIR``).
    buffer_rows : int
        Rows buffered per write (memory: ``buffer_rows * n_features * 4`` bytes).
    """

    def __init__(
        self, n_features: int, directory: str | Path | None = None, buffer_rows: int = 65536
    ) -> None:
        self.n_features = n_features
        self._dir = Path(tempfile.mkdtemp(prefix="ranker-features-", dir=directory))
        self._path = self._dir / "features.f32"
        self._out: Any = self._path.open("wb")
        self._fd = -1
        self._buffer = np.empty((buffer_rows, n_features), dtype=np.float32)
        self._filled = 0
        self._written = 0
        self._label_parts: list[FloatArray] = []
        self._offsets: list[int] = [0]
        self.labels: FloatArray = np.zeros(0, dtype=np.float32)
        self.offsets: npt.NDArray[np.int64] = np.zeros(1, dtype=np.int64)

    def append(self, features: FloatArray, labels: FloatArray) -> None:
        """Add one group: ``features`` ``(n, n_features)``, ``labels`` ``(n,)``."""
        rows = np.asarray(features, dtype=np.float32).reshape(-1, self.n_features)
        n = rows.shape[0]
        if self._filled + n > self._buffer.shape[0]:
            self._flush()
        if n > self._buffer.shape[0]:
            self._out.write(np.ascontiguousarray(rows).tobytes())
            self._written += n
        else:
            self._buffer[self._filled : self._filled + n] = rows
            self._filled += n
        self._label_parts.append(np.asarray(labels, dtype=np.float32).reshape(-1))
        self._offsets.append(self._offsets[-1] + n)

    def _flush(self) -> None:
        if self._filled:
            self._out.write(self._buffer[: self._filled].tobytes())
            self._written += self._filled
            self._filled = 0

    def finish(self) -> GroupStore:
        """Flush and switch to reading; returns ``self``."""
        self._flush()
        self._out.close()
        self._buffer = np.empty((0, self.n_features), dtype=np.float32)
        self.labels = np.concatenate(self._label_parts) if self._label_parts else np.zeros(0, np.float32)
        self._label_parts = []
        self.offsets = np.asarray(self._offsets, dtype=np.int64)
        self._fd = os.open(self._path, os.O_RDONLY)
        return self

    @property
    def n_rows(self) -> int:
        return int(self.offsets[-1]) if self._fd >= 0 else self._offsets[-1]

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> Group: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Group]: ...

    def __getitem__(self, index: int | slice) -> Group | Sequence[Group]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if self._fd < 0:
            raise RuntimeError("GroupStore.finish() must be called before reading")
        i = range(len(self))[index]
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        feats = np.empty((hi - lo, self.n_features), dtype=np.float32)
        view = feats.data.cast("B")
        got = os.preadv(self._fd, [view], lo * self.n_features * 4)
        if got != view.nbytes:
            raise OSError(f"short read of ranker features: {got} of {view.nbytes} bytes")
        return feats, self.labels[lo:hi]

    def __iter__(self) -> Iterator[Group]:
        for i in range(len(self)):
            yield self[i]

    def close(self) -> None:
        """Delete the scratch file."""
        if not self._out.closed:
            self._out.close()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> GroupStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown
            self.close()


def feature_stats(
    groups: Sequence[Group], indices: Sequence[int], *, chunk_rows: int = 262144
) -> tuple[FloatArray, FloatArray, int]:
    """Column mean and (population) standard deviation over the rows of ``groups[indices]``,
    without stacking them: per chunk of about ``chunk_rows`` rows, combined in float64 with the
    pairwise update of Chan, Golub & LeVeque (1979). Returns float32 ``(mean, std, rows)``."""
    n = 0
    mean: npt.NDArray[np.float64] | None = None
    m2: npt.NDArray[np.float64] | None = None
    pending: list[FloatArray] = []
    pending_rows = 0

    def combine() -> None:
        nonlocal n, mean, m2, pending, pending_rows
        if not pending_rows:
            return
        block = np.concatenate(pending).astype(np.float64)
        b_mean = block.mean(axis=0)
        b_m2 = ((block - b_mean) ** 2).sum(axis=0)
        if mean is None or m2 is None:
            mean, m2, n = b_mean, b_m2, block.shape[0]
        else:
            total = n + block.shape[0]
            delta = b_mean - mean
            mean = mean + delta * (block.shape[0] / total)
            m2 = m2 + b_m2 + delta**2 * (n * block.shape[0] / total)
            n = total
        pending, pending_rows = [], 0

    for i in indices:
        feats = groups[i][0]
        pending.append(feats)
        pending_rows += feats.shape[0]
        if pending_rows >= chunk_rows:
            combine()
    combine()
    if mean is None or m2 is None or n == 0:
        raise ValueError("no rows")
    std = np.sqrt(m2 / n)
    return mean.astype(np.float32), std.astype(np.float32), n


class NormalisedGroups(Sequence[Group]):
    """``groups[indices[j]]`` with features standardised on access: ``(x - mean) / std`` (float32),
    so that no standardised copy of the whole table is ever held."""

    def __init__(
        self, groups: Sequence[Group], indices: Sequence[int], mean: FloatArray, std: FloatArray
    ) -> None:
        self._groups = groups
        self._indices = list(indices)
        self._mean = mean
        self._std = std

    def __len__(self) -> int:
        return len(self._indices)

    @overload
    def __getitem__(self, index: int) -> Group: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Group]: ...

    def __getitem__(self, index: int | slice) -> Group | Sequence[Group]:
        if isinstance(index, slice):
            return [self[j] for j in range(*index.indices(len(self)))]
        feats, labels = self._groups[self._indices[index]]
        return ((feats - self._mean) / self._std).astype(np.float32), labels
