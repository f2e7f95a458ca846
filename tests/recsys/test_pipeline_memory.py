"""Training memory: the ranker's features stored once on disk, streamed statistics, EASE on its
supported items only (blocked Gram matrix, in-place inverse), evaluation streamed per user batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.pipeline.arrays import (
    GroupStore,
    NormalisedGroups,
    feature_stats,
    gram_matrix,
    spd_inverse,
    supported_columns,
)
from recsys.pipeline.evaluation import evaluate_model, evaluate_streams
from recsys.pipeline.metrics import ListMetrics, evaluate_lists
from recsys.pipeline.ranker import RankerParams, train_ranker
from recsys.pipeline.recommenders import EASERecommender, TrainData, binary
from recsys.pipeline.synthetic import synthetic_dataset


def _groups(n: int, seed: int, n_features: int = 3) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        rows = int(rng.integers(1, 50))
        labels = (rng.random(rows) < 0.2).astype(np.float32)
        feats = (rng.normal(0, 1, (rows, n_features)) * [1.0, 10.0, 0.01] + labels[:, None]).astype(
            np.float32
        )
        out.append((feats, labels))
    return out


def test_group_store_gives_back_every_group_and_removes_its_file(tmp_path: Path):
    groups = _groups(300, seed=0)
    store = GroupStore(3, tmp_path, buffer_rows=40)  # groups larger than the buffer too
    for feats, labels in groups:
        store.append(feats, labels)
    store.finish()
    files = list(tmp_path.rglob("*.f32"))

    assert len(store) == len(groups)
    assert store.n_rows == sum(f.shape[0] for f, _ in groups)
    assert files and files[0].stat().st_size == store.n_rows * 3 * 4
    for (want_f, want_y), (got_f, got_y) in zip(groups, store, strict=True):
        np.testing.assert_array_equal(got_f, want_f)
        np.testing.assert_array_equal(got_y, want_y)
    np.testing.assert_array_equal(store[-1][0], groups[-1][0])
    store.close()
    assert not files[0].exists()


def test_group_store_refuses_reads_before_finish(tmp_path: Path):
    with GroupStore(2, tmp_path) as store:
        store.append(np.ones((2, 2), np.float32), np.zeros(2, np.float32))
        with pytest.raises(RuntimeError):
            store[0]


def test_streamed_feature_statistics_equal_those_of_the_stacked_table():
    groups = _groups(400, seed=1)
    usable = [i for i, (_, y) in enumerate(groups) if y.sum() > 0]
    stacked = np.concatenate([groups[i][0] for i in usable]).astype(np.float64)

    mean, std, rows = feature_stats(groups, usable, chunk_rows=97)

    assert rows == stacked.shape[0]
    np.testing.assert_allclose(mean, stacked.mean(axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(std, stacked.std(axis=0), rtol=1e-5)
    normed = NormalisedGroups(groups, usable, mean, std)
    np.testing.assert_allclose(normed[3][0], (groups[usable[3]][0] - mean) / std, rtol=1e-6)
    assert len(normed) == len(usable)


def test_ranker_learns_the_same_from_a_store_as_from_a_list(tmp_path: Path):
    groups = _groups(120, seed=2)
    store = GroupStore(3, tmp_path)
    for feats, labels in groups:
        store.append(feats, labels)
    store.finish()
    params = RankerParams(hidden=(8,), max_epochs=3, batch_users=16)

    from_list, _ = train_ranker(groups, feature_names=["a", "b", "c"], seed=5, params=params)
    from_store, history = train_ranker(store, feature_names=["a", "b", "c"], seed=5, params=params)

    assert history.n_rows == sum(f.shape[0] for f, y in groups if y.sum() > 0 and y.shape[0] > 1)
    for name, value in from_list.state.items():
        np.testing.assert_allclose(from_store.state[name], value, rtol=1e-5, atol=1e-6)
    store.close()


def _binary_matrix(seed: int, users: int = 300, items: int = 40) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.random((users, items)) < np.linspace(0.5, 0.005, items)[None, :]
    return sp.csr_matrix(dense.astype(np.float32))


def test_blocked_gram_matrix_of_selected_columns_equals_the_direct_product():
    x = _binary_matrix(3)
    cols = np.array([0, 2, 5, 7, 30])

    np.testing.assert_array_equal(gram_matrix(x, block=7), (x.T @ x).toarray())
    np.testing.assert_array_equal(gram_matrix(x, cols, block=2), (x[:, cols].T @ x[:, cols]).toarray())


def test_supported_columns_keep_the_most_supported_up_to_the_cap():
    x = _binary_matrix(4)
    counts = np.asarray((x > 0).sum(axis=0)).ravel()

    kept = supported_columns(x, min_rows=10)
    capped = supported_columns(x, min_rows=10, max_columns=5)

    np.testing.assert_array_equal(kept, np.flatnonzero(counts >= 10))
    assert capped.size == 5 and np.all(np.diff(capped) > 0)
    assert counts[capped].min() >= np.sort(counts[kept])[-5]


def test_in_place_inverse_is_the_symmetric_inverse():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(600, 600)).astype(np.float64)
    spd = a @ a.T + 600 * np.eye(600)

    inv = spd_inverse(spd.copy())  # type: ignore[arg-type]  # float64 works the same

    np.testing.assert_allclose(inv, inv.T)
    np.testing.assert_allclose(inv @ spd, np.eye(600), atol=1e-8)


def test_ease_on_supported_items_equals_ease_on_the_full_gram_and_respects_the_cap():
    data = synthetic_dataset(n_users=200, n_items=60, seed=1)
    train = TrainData(matrix=data.matrix(), items=data.items)
    x = binary(train.matrix)
    full = (x.T @ x).toarray().astype(np.float32)

    lean = EASERecommender(l2=50.0, min_item_users=5).fit(train)
    supported = np.flatnonzero(np.diag(full) >= 5).astype(np.int32)
    reference = EASERecommender(l2=50.0).fit_kept(
        full[np.ix_(supported, supported)], supported, train.n_items
    )
    capped = EASERecommender(l2=50.0, min_item_users=5, max_items=20).fit(train)

    np.testing.assert_array_equal(lean.kept, reference.kept)
    np.testing.assert_allclose(lean.weights, reference.weights, rtol=1e-4, atol=1e-6)
    assert capped.kept.size == 20
    assert np.isinf(capped.score(x[:3])[:, np.setdiff1d(np.arange(train.n_items), capped.kept)]).all()


def test_streamed_list_metrics_equal_the_metrics_of_all_lists_at_once():
    rng = np.random.default_rng(6)
    lists = rng.integers(-1, 50, size=(230, 20))
    relevant = [rng.choice(50, size=int(rng.integers(0, 6)), replace=False) for _ in range(230)]
    acc = ListMetrics(50, (10, 20))
    for b in range(0, 230, 17):
        acc.update(lists[b : b + 17], relevant[b : b + 17])

    streamed, whole = acc.result(), evaluate_lists(lists, relevant, n_items=50, ks=(10, 20))

    assert streamed.keys() == whole.keys()
    for key, value in whole.items():
        assert streamed[key] == pytest.approx(value, abs=1e-12), key


def test_evaluation_per_user_batch_does_not_depend_on_the_batch_size():
    data = synthetic_dataset(n_users=120, n_items=50, seed=2)
    m = data.matrix().tocsr()
    test = sp.csr_matrix(m.multiply(np.random.default_rng(0).random(m.shape) < 0.2))
    test.eliminate_zeros()
    train = (m - m.multiply(test > 0)).tocsr()
    train.eliminate_zeros()
    model = EASERecommender(l2=20.0, min_item_users=2).fit(TrainData(matrix=train, items=data.items))

    small = evaluate_model(model.recommend, train, test, batch_users=7)
    large = evaluate_model(model.recommend, train, test, batch_users=1000)
    both = evaluate_streams(
        lambda rows, k: {"a": model.recommend(rows, k)[0], "b": model.recommend(rows, k)[0]}, train, test
    )

    for key in ("recall@20", "ndcg@20", "coverage@20", "users"):
        assert small[key] == pytest.approx(large[key], abs=1e-12)
        assert both["a"][key] == both["b"][key] == pytest.approx(large[key], abs=1e-12)
    assert small["users"] > 50
