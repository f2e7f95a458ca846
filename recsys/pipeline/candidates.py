"""Recall channels and the ranker's features.

:class:`Channels` holds the fitted recall models and the per-item feature arrays. For one user
(their item indices and :func:`~recsys.pipeline.data.interaction_weights`),
:meth:`Channels.candidates` recalls a few hundred items from every channel:

* ``ease``: the EASE baseline's best items;
* ``itemknn``: ItemKNN's best items;
* ``annoy_user``: Annoy neighbours of the user vector (DeepWalk);
* ``annoy_recent``: nearest neighbours (item vectors) of the user's strongest recent items
  (favourites, high scores, recent events: the top items by weight), found exactly from the
  similarities the features compute anyway;
* ``popular``: the most popular items of the user's favourite genres;

and computes one feature row per candidate (:data:`FEATURE_NAMES`): channel scores and ranks,
vector similarities, popularity, MyAnimeList score, members, year, type, genre affinity, franchise
continuation, user activity. Training, evaluation and serving all call this same code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from recsys.pipeline.data import TYPES, ItemTable
from recsys.pipeline.deepwalk import DeepWalkRecommender
from recsys.pipeline.recommenders import (
    EASERecommender,
    ItemKNNRecommender,
    PopularityRecommender,
)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

CHANNELS: tuple[str, ...] = ("ease", "itemknn", "annoy_user", "annoy_recent", "popular")

FEATURE_NAMES: tuple[str, ...] = (
    "ease_score",
    "ease_relative",
    "ease_z",
    "ease_log_rank",
    "ease_known",
    "knn_relative",
    "knn_z",
    "knn_log_rank",
    "dw_cosine",
    "dw_log_rank",
    "dw_known",
    "seed_cosine",
    "popularity",
    "mal_score",
    "mal_score_missing",
    "members",
    "year",
    "year_missing",
    "year_distance",
    "genre_affinity",
    "franchise_seen",
    "franchise_count",
    "franchise_later",
    "franchise_size",
    "user_items",
    "user_mean_weight",
    *(f"type_{t.lower()}" for t in TYPES),
    "type_other",
    *(f"from_{c}" for c in CHANNELS),
)


@dataclass(frozen=True)
class ChannelParams:
    """How many candidates each channel contributes (before de-duplication)."""

    ease: int = 150
    itemknn: int = 60
    annoy_user: int = 50
    recent_seeds: int = 5
    per_seed: int = 10
    popular: int = 30
    popular_genres: int = 3
    genre_pool: int = 100


@dataclass
class CandidateSet:
    """One user's candidates: item indices, features (``FEATURE_NAMES`` columns), and the first
    channel (index into :data:`CHANNELS`, -1 for items added by the caller) that found each."""

    items: IntArray
    features: FloatArray
    channel: npt.NDArray[np.int8]

    def subset(self, rows: IntArray) -> CandidateSet:
        """The candidates at ``rows`` (positions in this set), in that order."""
        return CandidateSet(items=self.items[rows], features=self.features[rows], channel=self.channel[rows])


def _log_rank(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    ranks = np.empty(values.shape[0], dtype=np.float64)
    ranks[np.argsort(-values, kind="stable")] = np.arange(values.shape[0])
    return np.log1p(ranks)


def _zscore(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    sd = float(values.std()) if values.size else 0.0
    return (values - values.mean()) / sd if sd > 1e-12 else np.zeros_like(values)


def _top(values: FloatArray, n: int, excluded: npt.NDArray[np.bool_]) -> IntArray:
    v = np.where(excluded, -np.inf, values)
    n = min(n, int(np.isfinite(v).sum()))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-v, n - 1)[:n]
    return np.asarray(top[np.argsort(-v[top], kind="stable")], dtype=np.int64)


class Channels:
    """Fitted recall channels plus the static per-item arrays the features need."""

    def __init__(
        self,
        *,
        popularity: PopularityRecommender,
        itemknn: ItemKNNRecommender,
        ease: EASERecommender,
        deepwalk: DeepWalkRecommender,
        items: ItemTable,
        params: ChannelParams | None = None,
    ) -> None:
        self.popularity = popularity
        self.itemknn = itemknn
        self.ease = ease
        self.deepwalk = deepwalk
        self.params = params or ChannelParams()
        self.genres = np.asarray(items.genres, dtype=np.uint8)
        self.franchise = np.asarray(items.franchise, dtype=np.int32)
        self.type_codes = np.asarray(items.type_codes, dtype=np.int8)
        self.year = np.asarray(items.year, dtype=np.float32)
        self.mal_score = np.asarray(items.mal_score, dtype=np.float32)
        self.members = np.asarray(items.members, dtype=np.float32)
        self.air_key = np.asarray(items.air_key, dtype=np.float64)
        self._prepare()

    def _prepare(self) -> None:
        counts = np.asarray(self.popularity.counts, dtype=np.float64)
        self.n_items = int(counts.shape[0])
        self.log_pop = (np.log1p(counts) / max(np.log1p(counts.max(initial=0.0)), 1e-12)).astype(np.float32)
        g = self.genres.astype(np.float32)
        totals = g.sum(axis=1, keepdims=True)
        self.genres_unit = np.where(totals > 0, g / np.sqrt(np.maximum(totals, 1.0)), 0.0).astype(np.float32)
        pool = self.params.genre_pool
        self.genre_pool = np.full((g.shape[1], pool), -1, dtype=np.int64)
        for j in range(g.shape[1]):
            members = np.flatnonzero(self.genres[:, j])
            best = members[np.argsort(-counts[members], kind="stable")][:pool]
            self.genre_pool[j, : best.size] = best
        self.type_onehot = np.zeros((self.n_items, len(TYPES) + 1), dtype=np.float32)
        self.type_onehot[np.arange(self.n_items), np.clip(self.type_codes, 0, len(TYPES))] = 1.0
        mal = np.nan_to_num(self.mal_score, nan=0.0)
        self.mal_feature = np.where(np.isnan(self.mal_score), 0.0, (mal - 7.0) / 1.0).astype(np.float32)
        self.members_feature = (np.log1p(self.members) / 14.0).astype(np.float32)
        self.year_feature = np.where(np.isnan(self.year), 0.0, (self.year - 2005.0) / 10.0).astype(np.float32)
        _, inverse, sizes = np.unique(self.franchise, return_inverse=True, return_counts=True)
        self.franchise_size = (np.log1p(sizes[inverse] - 1) / 3.0).astype(np.float32)

    # --- candidates ---------------------------------------------------------------------------

    def candidates(
        self,
        items: IntArray,
        weights: FloatArray,
        *,
        exclude: IntArray | None = None,
        extra: IntArray | None = None,
        user_vector: FloatArray | None = None,
    ) -> CandidateSet:
        """Recall from every channel and compute features for one user.

        Parameters
        ----------
        items : numpy.ndarray
            The user's item indices (their history); never returned.
        weights : numpy.ndarray
            Their interaction weights.
        exclude : numpy.ndarray, optional
            More item indices never to return (hidden, "not interested", ...).
        extra : numpy.ndarray, optional
            Items to add to the candidates whatever the channels say (the ranker's training adds its
            labels and random negatives this way); they are not filtered.
        user_vector : numpy.ndarray, optional
            A precomputed user vector (the feature store's) instead of the one from ``items``.

        Returns
        -------
        CandidateSet
        """
        p = self.params
        n = self.n_items
        hist = np.asarray(items, dtype=np.int64)
        w = np.asarray(weights, dtype=np.float32)
        excluded = np.zeros(n, dtype=bool)
        excluded[hist] = True
        if exclude is not None and exclude.size:
            excluded[np.asarray(exclude, dtype=np.int64)] = True

        ease = self.ease.score_user(hist)
        knn = self.itemknn.score_user(hist)
        dw = self.deepwalk
        uvec = dw.user_vector(hist, w) if hist.size else None
        if user_vector is not None:
            norm_u = float(np.linalg.norm(user_vector))
            uvec = (np.asarray(user_vector, dtype=np.float32) / norm_u) if norm_u > 1e-12 else uvec
        dw_scores = dw.unit @ uvec if uvec is not None else np.zeros(n, dtype=np.float32)
        has_vec = hist[dw.has_vector[hist]] if hist.size else hist
        seeds = (
            has_vec[np.argsort(-w[dw.has_vector[hist]], kind="stable")][: p.recent_seeds]
            if hist.size
            else hist
        )
        seed_sims = dw.unit[seeds] @ dw.unit.T if seeds.size else np.zeros((0, n), dtype=np.float32)
        seed_cos = seed_sims.max(axis=0) if seeds.size else np.zeros(n, dtype=np.float32)
        profile = (w[:, None] * self.genres_unit[hist]).sum(axis=0) if hist.size else np.zeros(0)
        norm = float(np.linalg.norm(profile)) if profile.size else 0.0
        affinity = (
            self.genres_unit @ (profile / norm) if norm > 0 else np.zeros(n, dtype=np.float32)
        ).astype(np.float32)

        found: list[IntArray] = []
        channel_of: list[npt.NDArray[np.int8]] = []

        def add(ids: IntArray, channel: int) -> None:
            found.append(ids)
            channel_of.append(np.full(ids.size, channel, dtype=np.int8))

        add(_top(ease, p.ease, excluded), 0)
        add(_top(knn, p.itemknn, excluded), 1)
        if uvec is not None:
            # Ask for enough neighbours to survive filtering out the user's own items.
            near = dw.annoy_neighbours(uvec, p.annoy_user + min(hist.size, 2 * p.annoy_user))
            near_arr = np.asarray(near, dtype=np.int64)
            add(near_arr[~excluded[near_arr]][: p.annoy_user] if near_arr.size else near_arr, 2)
        # Neighbours of the strongest items come from the exact similarities the features need anyway:
        # at this catalogue size that is cheaper than one Annoy query per item.
        not_indexed = excluded | ~dw.indexed
        for row in seed_sims:
            add(_top(row, p.per_seed, not_indexed), 3)
        if norm > 0 and self.genre_pool.shape[0]:
            top_genres = np.argsort(-profile, kind="stable")[: p.popular_genres]
            pool = self.genre_pool[top_genres].ravel()
            pool = np.unique(pool[pool >= 0])
            pool = pool[~excluded[pool]]
            ranked = pool[np.argsort(-(self.log_pop[pool] * (0.5 + affinity[pool])), kind="stable")]
            add(ranked[: p.popular], 4)
        else:
            add(_top(self.log_pop, p.popular, excluded), 4)

        if extra is not None and extra.size:
            add(np.asarray(extra, dtype=np.int64), -1)
        all_ids = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        all_channels = np.concatenate(channel_of) if channel_of else np.zeros(0, dtype=np.int8)
        cand, first = np.unique(all_ids, return_index=True)
        flags = np.zeros((cand.size, len(CHANNELS)), dtype=np.float32)
        pos = np.searchsorted(cand, all_ids)
        known_channel = all_channels >= 0
        flags[pos[known_channel], all_channels[known_channel]] = 1.0
        feats = self._features(
            cand, hist, w, ease, knn, dw_scores, uvec is not None, seed_cos, affinity, flags
        )
        return CandidateSet(items=cand, features=feats, channel=all_channels[first])

    def _features(
        self,
        cand: IntArray,
        hist: IntArray,
        w: FloatArray,
        ease: FloatArray,
        knn: FloatArray,
        dw_scores: FloatArray,
        has_user_vector: bool,
        seed_cos: FloatArray,
        affinity: FloatArray,
        flags: FloatArray,
    ) -> FloatArray:
        c = cand
        m = c.size
        e = ease[c].astype(np.float64)
        e_known = np.isfinite(e)
        e = np.where(e_known, e, 0.0)
        e_max = float(e.max(initial=0.0))
        k = knn[c].astype(np.float64)
        k_max = float(k.max(initial=0.0))
        d = dw_scores[c].astype(np.float64)
        d_known = self.deepwalk.has_vector[c] & has_user_vector
        d = np.where(d_known, d, 0.0)
        hist_years = self.year[hist] if hist.size else np.zeros(0, dtype=np.float32)
        dated = ~np.isnan(hist_years)
        mean_year = float(np.average(hist_years[dated], weights=w[dated])) if dated.any() else np.nan
        year_c = self.year[c]
        year_dist = (
            np.where(np.isnan(year_c), 0.0, np.abs(year_c - mean_year) / 10.0)
            if not np.isnan(mean_year)
            else np.zeros(m)
        )
        franchise_count, franchise_later = self._franchise_features(c, hist)
        columns = [
            e,
            e / e_max if e_max > 1e-12 else np.zeros(m),
            _zscore(e),
            _log_rank(np.where(e_known, e, -np.inf)),
            e_known,
            k / k_max if k_max > 1e-12 else np.zeros(m),
            _zscore(k),
            _log_rank(k),
            d,
            _log_rank(np.where(d_known, d, -np.inf)),
            d_known,
            np.where(self.deepwalk.has_vector[c], seed_cos[c], 0.0),
            self.log_pop[c],
            self.mal_feature[c],
            np.isnan(self.mal_score[c]),
            self.members_feature[c],
            self.year_feature[c],
            np.isnan(year_c),
            year_dist,
            affinity[c],
            franchise_count > 0,
            np.log1p(franchise_count) / 2.0,
            franchise_later,
            self.franchise_size[c],
            np.full(m, np.log1p(hist.size) / 6.0),
            np.full(m, float(w.mean()) if w.size else 0.0),
        ]
        out = np.empty((m, len(FEATURE_NAMES)), dtype=np.float32)
        for j, col in enumerate(columns):
            out[:, j] = col
        base = len(columns)
        out[:, base : base + self.type_onehot.shape[1]] = self.type_onehot[c]
        base += self.type_onehot.shape[1]
        out[:, base : base + len(CHANNELS)] = flags
        return out

    def _franchise_features(
        self, cand: IntArray, hist: IntArray
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """Per candidate: how many history items share its franchise, and whether it aired after
        every one of them (the next season / film of something the user follows)."""
        count = np.zeros(cand.size, dtype=np.float64)
        later = np.zeros(cand.size, dtype=bool)
        if hist.size == 0 or cand.size == 0:
            return count, later
        fr_hist = self.franchise[hist]
        ids, inverse, counts = np.unique(fr_hist, return_inverse=True, return_counts=True)
        latest = np.full(ids.size, -np.inf)
        np.maximum.at(latest, inverse, np.nan_to_num(self.air_key[hist], nan=-np.inf))
        fr_cand = self.franchise[cand]
        pos = np.clip(np.searchsorted(ids, fr_cand), 0, ids.size - 1)
        hit = ids[pos] == fr_cand
        count[hit] = counts[pos[hit]]
        air = self.air_key[cand]
        later[hit] = np.nan_to_num(air[hit], nan=-np.inf) > latest[pos[hit]]
        return count, later

    def explain(self, hist: IntArray, chosen: IntArray) -> list[int | None]:
        """For each chosen item, the history item that most explains it ("because you liked X").

        The history item with the largest EASE weight towards the chosen item; when EASE knows
        neither, the one with the most similar item vector; None when nothing relates them.
        """
        if hist.size == 0 or chosen.size == 0:
            return [None] * int(chosen.size)
        out: list[int | None] = [None] * int(chosen.size)
        if self.ease.position.size:
            rows = self.ease.position[hist]
            targets = self.ease.position[chosen]
            hist_in = np.flatnonzero(rows >= 0)
            chosen_in = np.flatnonzero(targets >= 0)
            if hist_in.size and chosen_in.size:
                contrib = np.asarray(self.ease.weights[np.ix_(rows[hist_in], targets[chosen_in])])
                best = contrib.argmax(axis=0)
                for j, c in enumerate(chosen_in.tolist()):
                    if contrib[best[j], j] > 0:
                        out[c] = int(hist[hist_in[best[j]]])
        dw = self.deepwalk
        with_vec = hist[dw.has_vector[hist]]
        missing = [j for j, b in enumerate(out) if b is None and dw.has_vector[int(chosen[j])]]
        if with_vec.size and missing:
            sims = dw.unit[with_vec] @ dw.unit[chosen[missing]].T
            best = sims.argmax(axis=0)
            for j, c in enumerate(missing):
                if sims[best[j], j] > 0:
                    out[c] = int(with_vec[best[j]])
        return out

    # --- persistence --------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write every channel (npy without pickle, Annoy file, JSON); items are saved by the caller."""
        directory.mkdir(parents=True, exist_ok=True)
        self.popularity.save(directory / "popularity")
        self.itemknn.save(directory / "itemknn")
        self.ease.save(directory / "ease")
        self.deepwalk.save(directory / "deepwalk")
        meta: dict[str, Any] = {"params": asdict(self.params), "channels": list(CHANNELS)}
        (directory / "channels.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, items: ItemTable) -> Channels:
        """Read channels written by :meth:`save`, with the item table they were fitted on."""
        meta = json.loads((directory / "channels.json").read_text(encoding="utf-8"))
        return cls(
            popularity=PopularityRecommender.load(directory / "popularity"),
            itemknn=ItemKNNRecommender.load(directory / "itemknn"),
            ease=EASERecommender.load(directory / "ease"),
            deepwalk=DeepWalkRecommender.load(directory / "deepwalk"),
            items=items,
            params=ChannelParams(**meta["params"]),
        )
