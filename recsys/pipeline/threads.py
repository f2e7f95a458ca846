"""Keeping BLAS single-threaded around many small matrix products.

Scoring one user multiplies a few hundred rows at a time; OpenBLAS's worker threads cost more to
wake than the product itself, and on a busy machine they make a 2 ms call take 10 ms or more.
Loops over users and the serving path run inside :func:`single_threaded_blas`; large products
(EASE's inverse, ItemKNN's Gram blocks) keep every thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_controller: Any = None


def _get_controller() -> Any:
    global _controller
    if _controller is None:
        import scipy.linalg  # noqa: F401  (load scipy's BLAS before inspecting the libraries)
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit every loaded BLAS library to one thread inside the block."""
    with _get_controller().limit(limits=1, user_api="blas"):
        yield
