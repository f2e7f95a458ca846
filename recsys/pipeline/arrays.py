"""Small numeric helpers of the recommenders: array files and dense linear algebra."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
    upper = np.triu(inv)
    return np.asarray(upper + np.triu(inv, 1).T, dtype=a.dtype)


def gram_matrix(x: sp.csr_matrix) -> FloatArray:
    """Dense ``X^T X`` of a binary matrix, float32."""
    return np.asarray((x.T @ x).toarray(), dtype=np.float32)
