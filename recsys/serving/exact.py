"""Exact search over the active version's item vectors in Redis: the fallback when the version's
files (Annoy index, ranker, channels) cannot be used on this machine.

Promotion publishes every item vector to ``recsys:v:<version>:items``. A process whose bundle is
missing or failed to load reads them once (about a megabyte), and answers similar anime and
recommendations by exact cosine search, flagged degraded: slower per query than Annoy and without
the ranker, but still personal.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import redis

from animesite.process_cache import process_cache
from recsys.pipeline.contract import HistoryItem
from recsys.pipeline.data import history_weights
from recsys.serving.store import item_vectors_read

logger = logging.getLogger(__name__)

VECTORS_TTL_SECONDS = 600


@dataclass(frozen=True)
class ExactVectors:
    """Unit item vectors of one version, searched exactly."""

    ids: npt.NDArray[np.int64]
    unit: npt.NDArray[np.float32]

    @property
    def dim(self) -> int:
        return int(self.unit.shape[1])

    def _rows(self, anime_ids: Sequence[int]) -> npt.NDArray[np.int64]:
        """Rows of the known anime among ``anime_ids`` (``ids`` is sorted)."""
        wanted = np.asarray(anime_ids, dtype=np.int64)
        if self.ids.size == 0 or wanted.size == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.ids, wanted), self.ids.size - 1)
        return np.asarray(pos[self.ids[pos] == wanted], dtype=np.int64)

    def nearest(self, vector: Sequence[float], k: int, *, exclude: set[int]) -> list[tuple[int, float]]:
        """The ``k`` anime whose vectors have the highest cosine with ``vector``."""
        v = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(v))
        if k <= 0 or norm == 0.0 or v.shape[0] != self.dim:
            return []
        scores = self.unit @ (v / norm)
        if exclude:
            scores[self._rows(sorted(exclude))] = -np.inf
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(self.ids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]

    def similar(self, anime_id: int, k: int) -> list[tuple[int, float]]:
        rows = self._rows([anime_id])
        if rows.size == 0:
            return []
        return self.nearest(self.unit[rows[0]], k, exclude={anime_id})

    def user_vector(self, history: Sequence[HistoryItem]) -> list[float] | None:
        """Weighted sum of the unit vectors of the user's items, with the training pipeline's
        weights (preference, recency: :func:`recsys.pipeline.data.history_weights`); disliked
        entries are left out."""
        entries, all_weights = history_weights(history)  # last entry per anime wins
        weight_of = {
            h.anime_id: float(w)
            for h, w in zip(entries, all_weights, strict=True)
            if w > 0 and self._rows([h.anime_id]).size
        }
        if not weight_of:
            return None
        known = sorted(weight_of)
        weights = np.array([weight_of[a] for a in known], dtype=np.float32)
        vector = (self.unit[self._rows(known)] * weights[:, None]).sum(axis=0)
        return [float(x) for x in vector]

    def closest_in(self, anime_id: int, candidates: Sequence[int]) -> int | None:
        """Of ``candidates``, the anime whose vector is closest to ``anime_id``'s."""
        target = self._rows([anime_id])
        rows = self._rows(list(candidates))
        if target.size == 0 or rows.size == 0:
            return None
        best = int(np.argmax(self.unit[rows] @ self.unit[target[0]]))
        return int(self.ids[rows[best]])


def exact_vectors(version: str) -> ExactVectors | None:
    """The published item vectors of ``version`` (read once per process), or None if Redis has
    none or cannot be reached."""

    def load() -> ExactVectors | None:
        try:
            read = item_vectors_read(version=version)
        except redis.RedisError:
            logger.warning("Redis unreachable: no item vectors for exact search", exc_info=True)
            return None
        if read is None:
            return None
        ids, matrix = read
        return ExactVectors(ids=ids, unit=matrix)

    key = ("exact_vectors", version)
    found: ExactVectors | None = process_cache.get(key)
    if found is None:
        found = load()
        if found is not None:
            process_cache.set(key, found, VECTORS_TTL_SECONDS)
    return found
