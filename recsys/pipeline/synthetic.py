"""A small synthetic data set with real structure, for smoke tests and contract tests.

Items fall into taste clusters (each with its own genre), popularity within a cluster is skewed
(Zipf), and every user draws most of their items from one or two favourite clusters. Some items
are seasons of the same franchise ("Series 3", "Series 3 Season 2"). A model that learns anything
beats random on it; popularity beats random too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.pipeline.data import Dataset, ItemTable


def synthetic_dataset(
    *,
    n_users: int = 300,
    n_items: int = 120,
    n_clusters: int = 6,
    items_per_user: tuple[int, int] = (8, 30),
    seed: int = 0,
) -> Dataset:
    """A seeded :class:`Dataset` with clustered tastes (see the module docstring).

    Parameters
    ----------
    n_users, n_items, n_clusters : int
        Sizes.
    items_per_user : tuple of int
        Range of history lengths.
    seed : int
        Seed.

    Returns
    -------
    Dataset
        Anime ids ``1000 + i``, user ids ``1 + u``; scores 4-10 (about 1 in 5 unscored), no
        timestamps (data-set-like rows).
    """
    rng = np.random.default_rng(seed)
    cluster = np.arange(n_items) % n_clusters
    rank_in_cluster = np.arange(n_items) // n_clusters
    appeal = 1.0 / (1.0 + rank_in_cluster) ** 0.8
    titles = []
    for i in range(n_items):
        series, season = divmod(i, 3)
        titles.append(f"Series {series}" if season == 0 else f"Series {series} Season {season + 1}")
    frame = pd.DataFrame(
        {
            "anime_id": 1000 + np.arange(n_items),
            "title": titles,
            "type": np.where(np.arange(n_items) % 4 == 0, "Movie", "TV"),
            "year": 1995 + (np.arange(n_items) * 7) % 25,
            "aired_from": [None] * n_items,
            "score": np.round(6.0 + 3.0 * appeal, 2),
            "members": (100000 * appeal).astype(int),
            "genres": [[f"Genre {c}", "Shared"] if c % 2 == 0 else [f"Genre {c}"] for c in cluster],
        }
    )
    items = ItemTable.from_frame(frame)
    users: list[int] = []
    picked: list[int] = []
    scores: list[float] = []
    for u in range(n_users):
        favourite = rng.choice(n_clusters, size=1 + int(rng.random() < 0.4), replace=False)
        taste = np.where(np.isin(cluster, favourite), 1.0, 0.05) * appeal
        n = int(rng.integers(items_per_user[0], items_per_user[1] + 1))
        chosen = rng.choice(n_items, size=min(n, n_items), replace=False, p=taste / taste.sum())
        for i in chosen.tolist():
            users.append(u)
            picked.append(i)
            liked = bool(np.isin(cluster[i], favourite))
            score = float(rng.integers(7, 11) if liked else rng.integers(4, 8))
            scores.append(np.nan if rng.random() < 0.2 else score)
    return Dataset(
        user_ids=1 + np.arange(n_users, dtype=np.int64),
        items=items,
        user=np.asarray(users, dtype=np.int32),
        item=np.asarray(picked, dtype=np.int32),
        score=np.asarray(scores, dtype=np.float32),
        favorite=np.asarray([s >= 10 for s in scores], dtype=bool),
        timestamp=np.full(len(users), np.nan),
    )
