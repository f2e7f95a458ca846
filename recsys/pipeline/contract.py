"""The contract between the training pipeline (``recsys.pipeline``) and serving (``recsys.serving``).

Pure Python / numpy: no Django here. Training writes a *bundle* (one folder per model version,
``MODELS_DIR/<version>/``); serving loads it once per process and asks it for candidates.
Artifacts are numpy files saved with ``allow_pickle=False``, Annoy's own file, a torch
``state_dict`` and JSON metadata: never pickles.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class HistoryItem:
    """One anime in a user's history, as serving or evaluation hands it to a bundle.

    Parameters
    ----------
    anime_id : int
        The site's anime id (``catalog.Anime.id``), not the MyAnimeList id.
    score : int or None
        The user's 1-10 score, if any.
    timestamp : float or None
        Unix time of the latest event for site users; None for data-set entries.
    is_favorite : bool
        Whether the user marked it as a favourite.
    status : str
        The watch status (``favorites.WatchStatus`` value; "" when unknown).
    """

    anime_id: int
    score: int | None = None
    timestamp: float | None = None
    is_favorite: bool = False
    status: str = ""


@dataclass(frozen=True)
class Candidate:
    """A ranked recommendation candidate.

    ``channel`` names the recall channel that found it (``"annoy_user"``, ``"annoy_recent"``,
    ``"ease"``, ``"itemknn"``, ``"popular"``, ...); ``because`` is the anime id in the user's history
    that most explains it (for "because you liked X"), when there is one.
    """

    anime_id: int
    score: float
    channel: str
    because: int | None = None


@dataclass
class TrainReport:
    """What a training run returns: the registry stores all of it on the ModelVersion row.

    ``metrics`` maps a model name (``"popularity"``, ``"itemknn"``, ``"ease"``, ``"deepwalk"``,
    ``"pipeline"``) to ``{"recall@10", "recall@20", "ndcg@10", "ndcg@20", "coverage@20"}``.
    ``timings`` maps a stage name to seconds. ``primary_metric`` is the number the quality gate
    compares (the pipeline's NDCG@20 on the held-out split).
    """

    params: dict[str, object]
    metrics: dict[str, dict[str, float]]
    timings: dict[str, float]
    primary_metric: float
    n_users: int
    n_items: int
    extra: dict[str, object] = field(default_factory=dict)


ProgressFn = Callable[[str], None]


class Bundle(Protocol):
    """A loaded model version, as serving uses it."""

    version: str
    item_ids: Sequence[int]

    def user_vector(self, history: Sequence[HistoryItem]) -> list[float] | None:
        """Weighted mean of the vectors of the user's positive items (None: nothing known)."""
        ...

    def recommend(
        self,
        *,
        history: Sequence[HistoryItem],
        user_vector: Sequence[float] | None,
        exclude: set[int],
        k: int,
        not_interested: Collection[int] = (),
    ) -> list[Candidate]:
        """Recall from every channel, score with the MLP ranker, re-rank; ``exclude`` never appears.

        Disliked history entries (:mod:`recsys.preferences`) and ``not_interested`` anime are no
        seeds; their franchises never appear and their close neighbours come last. ``because`` is
        always a liked anime."""
        ...

    def similar(self, anime_id: int, k: int) -> list[tuple[int, float]]:
        """Nearest neighbours of an anime by item vector; empty when it has no vector."""
        ...

    def similar_cooccurrence(self, anime_id: int, k: int, damping: float = 0.0) -> list[tuple[int, float]]:
        """Anime most often liked by the same users (taste neighbours); empty when none.
        ``damping``: how much a neighbour's popularity counts against it (0: not at all)."""
        ...

    def item_vectors(self) -> tuple[Sequence[int], npt.NDArray[np.float32]]:
        """The anime that have a vector and their unit vectors (``n x dim``, float32), the ones
        ``similar`` searches; promotion publishes them to the online store."""
        ...


class TrainFn(Protocol):
    def __call__(self, *, out_dir: Path, progress: ProgressFn, seed: int = 42) -> TrainReport: ...


class LoadFn(Protocol):
    def __call__(self, path: Path) -> Bundle: ...
