"""A small, fully working bundle for registry and serving tests (cosine similarity over fixed vectors).

It implements the ``recsys.pipeline.contract.Bundle`` protocol and is written and read like a real
version folder, so the registry, the Redis feature store and the API run for real around it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

import numpy as np

from recsys.pipeline.contract import Candidate, HistoryItem, ProgressFn, TrainReport

FILE_NAME = "fake_bundle.json"


class FakeBundle:
    # Taste neighbours the next loaded bundles answer with (tests set it; empty: none).
    cooccurrence: dict[int, list[tuple[int, float]]] = {}

    def __init__(self, version: str, vectors: Mapping[int, Sequence[float] | np.ndarray]) -> None:
        self.version = version
        self.vectors = {int(k): np.asarray(v, dtype=np.float64) for k, v in vectors.items()}
        self.item_ids: Sequence[int] = sorted(self.vectors)
        self.user_vector_calls = 0

    @staticmethod
    def _weight(item: HistoryItem) -> float:
        weight = (item.score or 7) / 10.0
        return weight + (1.0 if item.is_favorite else 0.0)

    def similar_cooccurrence(self, anime_id: int, k: int, damping: float = 0.0) -> list[tuple[int, float]]:
        return self.cooccurrence.get(anime_id, [])[:k]

    def item_vectors(self) -> tuple[Sequence[int], np.ndarray]:
        matrix = np.array([self.vectors[i] for i in self.item_ids], dtype=np.float32).reshape(
            len(self.item_ids), -1
        )
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return list(self.item_ids), matrix / np.where(norms > 0, norms, 1.0)

    def user_vector(self, history: Sequence[HistoryItem]) -> list[float] | None:
        self.user_vector_calls += 1
        known = [(self.vectors[h.anime_id], self._weight(h)) for h in history if h.anime_id in self.vectors]
        if not known:
            return None
        total = sum(w for _, w in known)
        mean = np.sum([v * w for v, w in known], axis=0) / total
        return [float(x) for x in mean]

    @staticmethod
    def _cos(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))

    def recommend(
        self,
        *,
        history: Sequence[HistoryItem],
        user_vector: Sequence[float] | None,
        exclude: set[int],
        k: int,
        not_interested: Collection[int] = (),
    ) -> list[Candidate]:
        if user_vector is None:
            return []
        u = np.asarray(user_vector, dtype=np.float64)
        liked = [h.anime_id for h in history if h.anime_id in self.vectors]
        scored = sorted(
            ((self._cos(u, v), i) for i, v in self.vectors.items() if i not in exclude),
            key=lambda pair: (-pair[0], pair[1]),
        )[:k]
        out = []
        for score, anime_id in scored:
            because = max(
                liked, key=lambda h: self._cos(self.vectors[h], self.vectors[anime_id]), default=None
            )
            out.append(Candidate(anime_id=anime_id, score=score, channel="annoy_user", because=because))
        return out

    def similar(self, anime_id: int, k: int) -> list[tuple[int, float]]:
        if anime_id not in self.vectors:
            return []
        target = self.vectors[anime_id]
        scored = sorted(
            ((i, self._cos(target, v)) for i, v in self.vectors.items() if i != anime_id),
            key=lambda pair: (-pair[1], pair[0]),
        )
        return scored[:k]


def fake_load(path: Path) -> FakeBundle:
    data = json.loads((path / FILE_NAME).read_text())
    return FakeBundle(data["version"], {int(k): v for k, v in data["vectors"].items()})


def fake_train(
    vectors: Mapping[int, Sequence[float]],
    *,
    primary_metric: float = 0.30,
    fail: Exception | None = None,
    during: Callable[[], None] | None = None,
    extra: dict[str, object] | None = None,
) -> Callable[..., TrainReport]:
    """A train function writing a fake bundle; ``fail`` is raised after writing part of it."""

    def train(*, out_dir: Path, progress: ProgressFn, seed: int = 42) -> TrainReport:
        progress("walks: 10/10")
        (out_dir / "partial.npy").write_bytes(b"\x93NUMPY")
        if during is not None:
            during()
        if fail is not None:
            raise fail
        payload = {"version": out_dir.name, "vectors": {str(k): list(v) for k, v in vectors.items()}}
        (out_dir / FILE_NAME).write_text(json.dumps(payload))
        progress("ranker: epoch 1/1")
        return TrainReport(
            params={"dim": len(next(iter(vectors.values()))), "seed": seed},
            metrics={
                "popularity": {"recall@20": 0.10, "ndcg@20": 0.08},
                "ease": {"recall@20": 0.30, "ndcg@20": 0.25},
                "pipeline": {"recall@20": primary_metric + 0.05, "ndcg@20": primary_metric},
            },
            timings={"walks": 1.5, "word2vec": 2.25, "ranker": 0.5},
            primary_metric=primary_metric,
            n_users=3,
            n_items=len(vectors),
            extra=dict(extra or {}),
        )

    return train
