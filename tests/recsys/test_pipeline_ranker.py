"""The MLP ranker, the re-ranker, franchise keys and interaction weights."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from recsys.pipeline.data import franchise_ids, franchise_key, interaction_weights
from recsys.pipeline.ranker import Ranker, RankerParams, train_ranker
from recsys.pipeline.ranker_torch import listwise_loss, score_torch
from recsys.pipeline.rerank import RerankParams, rerank
from recsys.preferences import score_weight


def _separable_groups(n_users: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Feature 0 carries the label (plus noise); feature 1 is noise."""
    rng = np.random.default_rng(seed)
    groups = []
    for _ in range(n_users):
        n = int(rng.integers(20, 40))
        labels = np.zeros(n, dtype=np.float32)
        labels[rng.choice(n, size=3, replace=False)] = 1.0
        feats = np.stack([labels * 2.0 + rng.normal(0, 0.5, n), rng.normal(0, 1, n)], axis=1).astype(
            np.float32
        )
        groups.append((feats, labels))
    return groups


def test_listwise_loss_matches_a_hand_computation():
    scores = torch.tensor([[2.0, 0.0, 1.0, 5.0]])
    labels = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    mask = torch.tensor([[True, True, True, False]])

    loss = listwise_loss(scores, labels, mask).item()

    log_z = math.log(math.exp(2.0) + math.exp(0.0) + math.exp(1.0))
    expected = -((2.0 - log_z) + (1.0 - log_z)) / 2
    assert loss == pytest.approx(expected, rel=1e-5)


def test_ranker_learns_to_put_positives_first_and_stops_early():
    groups = _separable_groups(200, seed=0)
    params = RankerParams(hidden=(8,), max_epochs=15, patience=2, batch_users=32)

    ranker, history = train_ranker(groups, feature_names=["signal", "noise"], seed=3, params=params)

    test = _separable_groups(50, seed=1)
    hits = []
    for feats, labels in test:
        top = np.argsort(-ranker.score(feats))[:3]
        hits.append(labels[top].mean())
    assert float(np.mean(hits)) > 0.8
    assert history.validation_loss[history.best_epoch] == min(history.validation_loss)
    assert len(history.train_loss) == len(history.validation_loss) <= 15
    assert history.device in {"cpu", "cuda"} or history.device.startswith("cuda")


def test_ranker_numpy_scores_equal_torch_and_survive_a_round_trip(tmp_path: Path):
    groups = _separable_groups(60, seed=4)
    ranker, _ = train_ranker(
        groups, feature_names=["a", "b"], seed=0, params=RankerParams(hidden=(6, 4), max_epochs=3)
    )
    feats = groups[0][0]

    ranker.save(tmp_path / "ranker")
    loaded = Ranker.load(tmp_path / "ranker")

    assert np.allclose(ranker.score(feats), score_torch(ranker, feats), atol=1e-5)
    assert np.allclose(loaded.score(feats), ranker.score(feats), atol=1e-6)
    config = json.loads((tmp_path / "ranker" / "config.json").read_text())
    assert config["feature_names"] == ["a", "b"]
    # the state_dict is stored as plain numpy arrays, readable without pickle
    for name in config["state_dict"]:
        np.load(tmp_path / "ranker" / "state_dict" / f"{name}.npy", allow_pickle=False)


def test_rerank_without_penalties_is_the_score_order():
    scores = np.array([0.1, 0.9, 0.5, 0.7])
    genres = np.eye(4, dtype=np.uint8)

    chosen = rerank(
        scores,
        genres=genres,
        franchise=np.arange(4),
        k=3,
        params=RerankParams(genre_penalty=0.0, one_per_franchise=False),
    )

    assert chosen == [1, 3, 2]


def test_rerank_keeps_one_entry_per_franchise():
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    franchise = np.array([5, 5, 6, 5])

    chosen = rerank(scores, genres=np.zeros((4, 0), dtype=np.uint8), franchise=franchise, k=4)

    assert chosen == [0, 2]


def test_rerank_promotes_another_genre_when_scores_are_close():
    # three near-equal action titles and one slightly lower romance title
    scores = np.array([1.0, 0.99, 0.98, 0.97, -3.0])
    genres = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [1, 0]], dtype=np.uint8)

    chosen = rerank(
        scores, genres=genres, franchise=np.arange(5), k=3, params=RerankParams(genre_penalty=1.0)
    )
    plain = rerank(scores, genres=genres, franchise=np.arange(5), k=3, params=RerankParams(genre_penalty=0.0))

    assert plain == [0, 1, 2]
    assert chosen[0] == 0
    assert 3 in chosen


def test_rerank_is_prefix_stable():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=60)
    genres = (rng.random((60, 5)) < 0.3).astype(np.uint8)
    franchise = rng.integers(0, 25, size=60)

    long = rerank(scores, genres=genres, franchise=franchise, k=20)
    short = rerank(scores, genres=genres, franchise=franchise, k=10)

    assert long[:10] == short
    assert len(set(franchise[long].tolist())) == len(long)


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Shingeki no Kyojin", "shingeki no kyojin"),
        ("Shingeki no Kyojin Season 2", "shingeki no kyojin"),
        ("Shingeki no Kyojin: Kuinaki Sentaku", "shingeki no kyojin"),
        ("Gintama'", "gintama"),
        ("Gintama°", "gintama"),
        ("Kuroko no Basket 2nd Season", "kuroko no basket"),
        ("Code Geass: Hangyaku no Lelouch R2", "code geass"),
        ("Detective Conan Movie 01: The Timed Skyscraper", "detective conan"),
        ("Haikyuu!! Second Season", "haikyuu"),
        ("Ranma ½ OVA", "ranma"),
        ("K", "k"),
    ],
)
def test_franchise_key(title: str, key: str):
    assert franchise_key(title) == key


def test_franchise_ids_group_equal_keys():
    ids = franchise_ids(["Naruto", "Naruto: Shippuuden", "Bleach", "Bleach Movie 1: Memories of Nobody"])
    assert ids[0] == ids[1] != ids[2] == ids[3]


def test_interaction_weights_combine_score_favourite_and_recency():
    assert score_weight(10, None) == pytest.approx(1.4)
    assert score_weight(8, None) == pytest.approx(1.0)
    assert score_weight(8, 6.0) == pytest.approx(1.2)  # relative to the user's own mean
    assert score_weight(8, 9.0) == pytest.approx(0.9)

    day = 86400.0
    w = interaction_weights(
        [8, 8, np.nan, 8],
        [False, True, False, False],
        [1000 * day, 1000 * day, 1000 * day, 910 * day],
    )
    # favourite doubles; unscored 0.7; 90 days older halves
    assert w.tolist() == pytest.approx([1.0, 2.0, 0.7, 0.5])

    # undated entries among dated ones weigh half; no recency at all without timestamps
    mixed = interaction_weights([8, 8], [False, False], [np.nan, 5 * day])
    assert mixed.tolist() == pytest.approx([0.5, 1.0])
    undated = interaction_weights([8, 10], [False, False], [np.nan, np.nan])
    assert undated.tolist() == pytest.approx([0.9, 1.5])  # mean 9: 8 is below it, 10 above
    # disliked entries (1-4, dropped) weigh nothing; plan-to-watch is a faint positive
    graded = interaction_weights(
        [2, 8, np.nan, np.nan],
        [False, False, False, False],
        [np.nan] * 4,
        ["", "dropped", "want_to_watch", ""],
    )
    assert graded.tolist() == pytest.approx([0.0, 0.0, 0.25, 0.7])


def _rerank_reference(scores, genres, franchise, k, params):
    """The greedy rule written plainly over every candidate."""
    s = np.asarray(scores, dtype=float)
    z = (s - s.mean()) / s.std() if s.std() > 1e-12 else np.zeros(len(s))
    remaining = sorted(range(len(s)), key=lambda i: (-s[i], i))
    chosen, taken, counts = [], set(), np.zeros(genres.shape[1])
    while remaining and len(chosen) < k:
        if params.one_per_franchise:
            remaining = [i for i in remaining if franchise[i] not in taken]
        if not remaining:
            break
        best, best_value = None, -np.inf
        for i in remaining[: params.window]:
            value = z[i]
            total = genres[i].sum()
            if chosen and total > 0:
                value -= params.genre_penalty * (genres[i] @ counts) / (total * len(chosen))
            if value > best_value:
                best, best_value = i, value
        chosen.append(best)
        remaining.remove(best)
        taken.add(franchise[best])
        counts += genres[best]
    return chosen


def test_rerank_matches_a_plain_reference_on_random_inputs():
    rng = np.random.default_rng(1)
    for _ in range(150):
        n = int(rng.integers(1, 300))
        scores = rng.normal(size=n)
        genres = (rng.random((n, 6)) < 0.3).astype(np.uint8)
        franchise = rng.integers(0, max(1, n // int(rng.integers(1, 20))), size=n)
        k = int(rng.integers(1, 30))
        params = RerankParams(window=int(rng.integers(1, 50)))

        got = rerank(scores, genres=genres, franchise=franchise, k=k, params=params)

        assert got == _rerank_reference(scores, genres.astype(float), franchise, k, params)


def test_cpu_training_runs_on_the_configured_threads_and_restores_them(monkeypatch):
    import torch

    from recsys.pipeline import ranker_torch

    seen: list[int] = []

    def fake(*args, **kwargs):
        seen.append(torch.get_num_threads())
        raise RuntimeError("stop")

    monkeypatch.setattr(ranker_torch, "_train_ranker", fake)
    monkeypatch.setattr(ranker_torch, "CPU_THREADS", 1)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with pytest.raises(RuntimeError, match="stop"):
            ranker_torch.train_ranker([], feature_names=["a"], seed=0, device=torch.device("cpu"))
        assert seen == [1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
