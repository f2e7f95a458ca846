"""One contract for every recommender: popularity, ItemKNN, EASE, DeepWalk and the full pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.pipeline.candidates import ChannelParams
from recsys.pipeline.data import PART_TEST, assign_parts
from recsys.pipeline.deepwalk import DeepWalkParams, DeepWalkRecommender
from recsys.pipeline.embeddings import Word2VecParams
from recsys.pipeline.metrics import evaluate_lists
from recsys.pipeline.params import PipelineParams
from recsys.pipeline.ranker import RankerParams
from recsys.pipeline.ranking import PipelineRecommender
from recsys.pipeline.recommenders import (
    EASERecommender,
    ItemKNNRecommender,
    PopularityRecommender,
    Recommender,
    TrainData,
)
from recsys.pipeline.synthetic import synthetic_dataset

SEED = 7
# A small corpus needs many passes; one worker makes the vectors bit-for-bit reproducible.
SMALL_DEEPWALK = DeepWalkParams(
    walks_per_node=20, walk_length=20, word2vec=Word2VecParams(dim=16, epochs=20, workers=1), min_item_users=2
)

FACTORIES: dict[str, Callable[[], Recommender]] = {
    "popularity": PopularityRecommender,
    "itemknn": lambda: ItemKNNRecommender(k_neighbours=20),
    "ease": lambda: EASERecommender(l2=30.0, min_item_users=2),
    "deepwalk": lambda: DeepWalkRecommender(SMALL_DEEPWALK, seed=SEED),
    "pipeline": lambda: PipelineRecommender(
        PipelineParams(
            ease_l2=30.0,
            ease_min_item_users=2,
            knn_neighbours=20,
            deepwalk=SMALL_DEEPWALK,
            channels=ChannelParams(
                ease=25, itemknn=15, annoy_user=10, recent_seeds=3, per_seed=5, popular=10
            ),
            ranker=RankerParams(hidden=(16,), max_epochs=8, batch_users=32),
            random_negatives=5,
        ),
        seed=SEED,
    ),
}


@pytest.fixture(scope="module")
def split() -> tuple[TrainData, sp.csr_matrix]:
    data = synthetic_dataset(n_users=300, n_items=150, seed=SEED)
    data.part = assign_parts(data.user, seed=SEED, holdout_fraction=0.0)
    train_rows = data.part != PART_TEST
    train = TrainData(matrix=data.matrix(train_rows), items=data.items, positions=data.positions(train_rows))
    return train, data.matrix(data.part == PART_TEST)


@pytest.fixture(scope="module")
def fitted(split: tuple[TrainData, sp.csr_matrix]) -> dict[str, Recommender]:
    train, _ = split
    return {name: make().fit(train) for name, make in FACTORIES.items()}


def _recall_at_10(lists: np.ndarray, test: sp.csr_matrix) -> float:
    relevant = [test.indices[test.indptr[u] : test.indptr[u + 1]] for u in range(test.shape[0])]
    return evaluate_lists(lists, relevant, n_items=test.shape[1], ks=(10,))["recall@10"]


@pytest.mark.parametrize("name", list(FACTORIES))
def test_recommend_returns_k_new_distinct_items_best_first(name, split, fitted):
    train, _ = split
    model = fitted[name]

    ids, scores = model.recommend(train.matrix, 10)

    assert ids.shape == scores.shape == (train.n_users, 10)
    for u in range(train.n_users):
        row = ids[u][ids[u] >= 0]
        seen = set(train.matrix.indices[train.matrix.indptr[u] : train.matrix.indptr[u + 1]].tolist())
        assert len(row) == 10
        assert not seen & set(row.tolist())
        assert len(set(row.tolist())) == len(row)
        assert row.max() < train.n_items
    if name != "pipeline":  # the pipeline's list is re-ranked: its order is not the raw score order
        valid = scores[:, :-1] >= scores[:, 1:]
        assert valid.all()


@pytest.mark.parametrize("name", list(FACTORIES))
def test_recommendations_beat_random_on_held_out_items(name, split, fitted):
    train, test = split
    rng = np.random.default_rng(0)
    random_lists = np.stack(
        [
            rng.choice(np.setdiff1d(np.arange(train.n_items), train.matrix[u].indices), 10, replace=False)
            for u in range(train.n_users)
        ]
    )

    ids, _ = fitted[name].recommend(train.matrix, 10)

    assert _recall_at_10(ids, test) > 1.5 * _recall_at_10(random_lists, test)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_same_seed_same_recommendations(name, split, fitted):
    train, _ = split

    again = FACTORIES[name]().fit(train)

    assert np.array_equal(again.recommend(train.matrix, 10)[0], fitted[name].recommend(train.matrix, 10)[0])


@pytest.mark.parametrize("name", list(FACTORIES))
def test_save_and_load_round_trip(name, split, fitted, tmp_path: Path):
    train, _ = split
    model = fitted[name]

    model.save(tmp_path / name)
    loaded = type(model).load(tmp_path / name)

    assert np.array_equal(loaded.recommend(train.matrix, 10)[0], model.recommend(train.matrix, 10)[0])
    assert not list((tmp_path / name).rglob("*.pkl"))
    for path in (tmp_path / name).rglob("*.npy"):
        np.load(path, allow_pickle=False)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_similar_items_never_return_the_item_itself(name, fitted):
    model = fitted[name]

    for item in (0, 5, 17):
        ids, scores = model.similar_items(item, 5)
        found = ids[ids >= 0]
        assert item not in found.tolist()
        assert 0 < len(found) <= 5
        assert np.all(np.diff(scores[: len(found)]) <= 1e-6)


def test_ease_matches_the_closed_form():
    x = sp.csr_matrix(
        np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 1, 1], [1, 1, 1, 0], [0, 0, 1, 1]], dtype=np.float32)
    )
    from recsys.pipeline.data import ItemTable

    model = EASERecommender(l2=2.0, min_item_users=1).fit(TrainData(matrix=x, items=ItemTable.bare(range(4))))

    gram = (x.T @ x).toarray().astype(np.float64) + 2.0 * np.eye(4)
    p = np.linalg.inv(gram)
    expected = -p / np.diag(p)[None, :]
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(model.weights, expected, atol=1e-5)
    assert np.allclose(model.score(x[:1]), x[:1].toarray() @ expected, atol=1e-5)


@pytest.mark.parametrize("dropout", [0.2, 0.5, 0.8])
def test_edlae_matches_the_closed_form(dropout, tmp_path):
    """EDLAE (Steck 2020): Lambda = l2 I + p / (1 - p) diagMat(diag(X^T X)), zero diagonal."""
    x = sp.csr_matrix(
        np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 1, 1], [1, 1, 1, 0], [0, 0, 1, 1]], dtype=np.float32)
    )
    from recsys.pipeline.data import ItemTable

    model = EASERecommender(l2=2.0, min_item_users=1, dropout=dropout).fit(
        TrainData(matrix=x, items=ItemTable.bare(range(4)))
    )

    g = (x.T @ x).toarray().astype(np.float64)
    p = np.linalg.inv(g + np.diag(2.0 + dropout / (1 - dropout) * np.diag(g)))
    expected = -p / np.diag(p)[None, :]
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(model.weights, expected, atol=1e-5)
    plain = EASERecommender(l2=2.0, min_item_users=1).fit(TrainData(matrix=x, items=ItemTable.bare(range(4))))
    assert not np.allclose(model.weights, plain.weights, atol=1e-3)

    model.save(tmp_path)
    loaded = EASERecommender.load(tmp_path)
    assert loaded.dropout == pytest.approx(dropout)
    assert np.allclose(loaded.weights, model.weights)


@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5])
def test_edlae_dropout_outside_0_1_is_an_error(dropout):
    with pytest.raises(ValueError, match="dropout"):
        EASERecommender(dropout=dropout)


def test_itemknn_uses_cosine_similarity():
    x = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [1, 1, 0]], dtype=np.float32))
    from recsys.pipeline.data import ItemTable

    model = ItemKNNRecommender(k_neighbours=2).fit(TrainData(matrix=x, items=ItemTable.bare(range(3))))

    ids, sims = model.similar_items(0, 2)
    # item 0 (users 0,1,2) vs item 1 (users 0,2): 2 / sqrt(3 * 2); vs item 2 (user 1): 1 / sqrt(3)
    assert ids.tolist() == [1, 2]
    assert sims.tolist() == pytest.approx([2 / np.sqrt(6), 1 / np.sqrt(3)], rel=1e-5)


def test_ablation_table_switches_each_stage_off_and_restores_the_channels(split, fitted):
    from recsys.pipeline.train import ABLATIONS, ablation_table

    train, test = split
    pipeline = fitted["pipeline"]
    before = pipeline.channels.params
    table = ablation_table(pipeline, train.matrix, test, sample_users=120, progress=lambda _m: None)
    assert set(table) == {
        "pipeline (recall + ranker + re-rank)",
        "without re-rank",
        "without ranker (EASE order, re-ranked)",
        *ABLATIONS,
    }
    assert table["pipeline (recall + ranker + re-rank)"]["recall@20"] > 0
    assert all(0 <= row["recall@20"] <= row["recall_norm@20"] <= 1 for row in table.values())
    # without the EASE and ItemKNN channels the candidates differ, so the lists do too
    assert table["without ease channel"] != table["pipeline (recall + ranker + re-rank)"]
    assert pipeline.channels.params == before


def test_deepwalk_score_is_the_skip_gram_log_probability(split, fitted):
    """The dot product plus ``prior_weight * log(walk count)``; items met more often in the walks
    carry a larger prior, and a weight of 0 is the plain dot product."""
    train, _ = split
    model = fitted["deepwalk"]
    assert isinstance(model, DeepWalkRecommender)
    rows = train.matrix[:20]
    kept = model.params
    model.params = replace(kept, prior_weight=0.0)
    try:
        plain = model.score(rows)
        model.params = replace(kept, prior_weight=0.75)
        with_prior = model.score(rows)
    finally:
        model.params = kept
    finite = np.isfinite(plain)
    assert finite.any()
    expected = np.broadcast_to(0.75 * model.log_count[None, :], plain.shape)
    np.testing.assert_allclose(with_prior[finite] - plain[finite], expected[finite], rtol=1e-4, atol=1e-4)
    users = np.asarray((train.matrix > 0).sum(axis=0)).ravel()
    walked = model.has_vector
    assert np.corrcoef(model.log_count[walked], np.log(users[walked]))[0, 1] > 0.5


def test_deepwalk_warm_start_begins_from_the_earlier_vectors(split):
    # given a DeepWalk model of the training rows
    train, _ = split
    first = DeepWalkRecommender(SMALL_DEEPWALK, seed=SEED).fit(train)
    known = np.flatnonzero(first.has_vector)

    # when a second one starts from it with a negligible learning rate
    still = replace(SMALL_DEEPWALK, word2vec=replace(SMALL_DEEPWALK.word2vec, warm_epochs=1, warm_alpha=1e-7))
    warm = DeepWalkRecommender(still, seed=SEED + 1).fit(train, warm_start=first)
    cold = DeepWalkRecommender(still, seed=SEED + 1).fit(train)

    # then each item keeps its own earlier vector (not another item's), and a cold start does not
    assert warm.stats["warm_start"] == 1.0 and cold.stats["warm_start"] == 0.0
    assert np.allclose(warm.vectors[known], first.vectors[known], atol=1e-3)
    assert np.allclose(warm.context[known], first.context[known], atol=1e-3)
    assert not np.allclose(cold.vectors[known], first.vectors[known], atol=1e-3)
