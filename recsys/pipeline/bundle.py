"""Loading a trained version folder for serving (:func:`load_bundle`).

A version folder (``MODELS_DIR/<version>/``, written by :func:`recsys.pipeline.train.train_bundle`)
holds ``model/`` (the :class:`~recsys.pipeline.ranking.PipelineRecommender`: channels, ranker,
items), the evaluation files and ``meta.json``. Loading memory-maps the Annoy index and the large
numpy arrays, so it takes milliseconds and the pages are shared between worker processes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from recsys.pipeline.contract import Candidate, HistoryItem
from recsys.pipeline.cooccurrence import damped_order
from recsys.pipeline.data import history_weights
from recsys.pipeline.ranking import PipelineRecommender
from recsys.pipeline.threads import single_threaded_blas
from recsys.preferences import Preference, preference_of, user_mean_score

MODEL_DIR = "model"


class PipelineBundle:
    """A loaded version: implements :class:`recsys.pipeline.contract.Bundle`.

    Anime ids are the site's ``catalog.Anime.id``; anime the version never saw are ignored in a
    history and never recommended.
    """

    def __init__(self, version: str, model: PipelineRecommender) -> None:
        if model.items is None or model.channels is None:
            raise ValueError("the pipeline is not fitted")
        self.version = version
        self.model = model
        ids = np.asarray(model.items.anime_ids, dtype=np.int64)
        self._ids = ids
        self.item_ids: Sequence[int] = ids.tolist()
        self._index = {int(a): i for i, a in enumerate(self.item_ids)}
        self.dim = model.channels.deepwalk.dim

    def _history_arrays(self, history: Sequence[HistoryItem]) -> tuple[np.ndarray, np.ndarray]:
        """The user's positive items known to the version and their weights (disliked left out)."""
        return self._history_parts(history)[:2]

    def _history_parts(
        self, history: Sequence[HistoryItem]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(positive items, their weights, liked items, disliked items) as item indices.

        One entry per anime (the last one wins) and weights from :mod:`recsys.preferences`, as in
        training; the user's mean score is taken over the whole history.
        """
        entries, weights = history_weights(history)
        mean = user_mean_score([h.score for h in entries])
        pos: list[int] = []
        pos_w: list[float] = []
        liked: list[int] = []
        disliked: list[int] = []
        for h, w in zip(entries, weights.tolist(), strict=True):
            i = self._index.get(h.anime_id)
            if i is None:
                continue
            if w <= 0:
                disliked.append(i)
                continue
            pos.append(i)
            pos_w.append(w)
            pref = preference_of(score=h.score, status=h.status, is_favorite=h.is_favorite, user_mean=mean)
            if pref is Preference.LIKED:
                liked.append(i)
        return (
            np.array(pos, dtype=np.int64),
            np.array(pos_w, dtype=np.float32),
            np.array(liked, dtype=np.int64),
            np.array(disliked, dtype=np.int64),
        )

    def user_vector(self, history: Sequence[HistoryItem]) -> list[float] | None:
        """Weighted mean of the unit vectors of the user's positive items (preference, recency)."""
        items, weights = self._history_arrays(history)
        if items.size == 0:
            return None
        assert self.model.channels is not None
        vec = self.model.channels.deepwalk.user_vector(items, weights)
        return None if vec is None else [float(x) for x in vec]

    def recommend(
        self,
        *,
        history: Sequence[HistoryItem],
        user_vector: Sequence[float] | None,
        exclude: set[int],
        k: int,
        not_interested: Collection[int] = (),
    ) -> list[Candidate]:
        """Recall from every channel, score with the MLP, re-rank; ``exclude`` and the history never
        appear. A ``user_vector`` of the right dimension (from the feature store) replaces the one
        computed from the history. Disliked entries and ``not_interested`` anime seed nothing;
        their franchises are dropped and their close neighbours come last; ``because`` names a
        liked anime only (:mod:`recsys.preferences`)."""
        if k <= 0:
            return []
        items, weights, liked, disliked = self._history_parts(history)
        hidden = np.array([self._index[a] for a in not_interested if a in self._index], dtype=np.int64)
        avoid = np.concatenate([disliked, hidden])
        excluded = np.array(
            [self._index[a] for a in set(exclude) | {h.anime_id for h in history} if a in self._index],
            dtype=np.int64,
        )
        vector = None
        if user_vector is not None and len(user_vector) == self.dim:
            vector = np.asarray(user_vector, dtype=np.float32)
        with single_threaded_blas():
            recs = self.model.recommend_items(
                items,
                weights,
                k=k,
                exclude=excluded,
                user_vector=vector,
                avoid=avoid,
                explain_from=liked,
            )
        return [
            Candidate(
                anime_id=int(self._ids[r.item]),
                score=r.score,
                channel=r.channel,
                because=None if r.because is None else int(self._ids[r.because]),
            )
            for r in recs
        ]

    def similar(self, anime_id: int, k: int) -> list[tuple[int, float]]:
        """Annoy neighbours of the anime's item vector; empty when it has none."""
        i = self._index.get(anime_id)
        if i is None or k <= 0:
            return []
        assert self.model.channels is not None
        ids, sims = self.model.channels.deepwalk.similar_items(i, k)
        return [
            (int(self._ids[j]), float(s)) for j, s in zip(ids.tolist(), sims.tolist(), strict=True) if j >= 0
        ]

    def item_vectors(self) -> tuple[Sequence[int], np.ndarray]:
        """The anime indexed in Annoy and their unit vectors (``n x dim``, float32)."""
        assert self.model.channels is not None
        deepwalk = self.model.channels.deepwalk
        rows = np.flatnonzero(deepwalk.indexed)
        return self._ids[rows].tolist(), np.ascontiguousarray(deepwalk.unit[rows], dtype=np.float32)

    def similar_cooccurrence(self, anime_id: int, k: int, damping: float = 0.0) -> list[tuple[int, float]]:
        """ItemKNN neighbours (cosine of who-watched-what): taste-based, where the item vectors,
        learned from air-date-ordered sequences, also carry the era an anime aired in.

        ``damping`` > 0 re-orders all stored neighbours by ``cosine x n_j ** -damping`` (``n_j``:
        the neighbour's training users; :func:`recsys.pipeline.cooccurrence.damped_order`)."""
        i = self._index.get(anime_id)
        if i is None or k <= 0:
            return []
        assert self.model.channels is not None
        knn = self.model.channels.itemknn
        ids, sims = knn.similar_items(i, max(k, knn.k_neighbours) if damping > 0 else k)
        ids, sims = damped_order(ids, sims, self.model.channels.popularity.counts, damping)
        return [
            (int(self._ids[j]), float(s)) for j, s in zip(ids[:k].tolist(), sims[:k].tolist(), strict=True)
        ]


def load_bundle(path: Path) -> PipelineBundle:
    """Load the version folder ``path`` (its name is the version).

    Parameters
    ----------
    path : pathlib.Path
        ``MODELS_DIR/<version>``.

    Returns
    -------
    PipelineBundle
    """
    model = PipelineRecommender.load(Path(path) / MODEL_DIR)
    return PipelineBundle(Path(path).name, model)
