"""Behaviour sequences, the item graph and weighted random walks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.pipeline.data import (
    PART_FIT,
    PART_HOLDOUT,
    PART_TEST,
    Dataset,
    ItemTable,
    assign_parts,
    sequence_positions,
    undated_order_key,
)
from recsys.pipeline.synthetic import synthetic_dataset
from recsys.pipeline.walks import (
    GRAPH_HORIZON,
    EdgeList,
    random_walks,
    random_walks_reference,
    sequence_edges,
)


def _positions(rows: list[tuple[int, int, int]], n_users: int, n_items: int) -> sp.csr_matrix:
    users, items, pos = zip(*rows, strict=True)
    return sp.csr_matrix((np.array(pos) + 1, (users, items)), shape=(n_users, n_items))


def test_sequence_edges_count_every_move_and_add_repeats():
    # given two users: 0 goes 2 -> 0 -> 1, user 1 goes 2 -> 0 -> 3
    positions = _positions([(0, 2, 0), (0, 0, 1), (0, 1, 2), (1, 2, 0), (1, 0, 1), (1, 3, 2)], 2, 4)

    # when
    edges = sequence_edges(positions).sorted()

    # then the shared move 2 -> 0 has weight 2, the others 1, and nothing crosses users
    got = {(int(s), int(d)): float(w) for s, d, w in zip(edges.src, edges.dst, edges.weight, strict=True)}
    assert got == {(2, 0): 2.0, (0, 1): 1.0, (0, 3): 1.0, (2, 1): 1.0, (2, 3): 1.0}


def test_sequence_edges_reach_the_horizon_and_no_further():
    # given one user going 0 -> 1 -> 2 -> 3 -> 4
    positions = _positions([(0, i, i) for i in range(5)], 1, 5)

    # when
    one = sequence_edges(positions, horizon=1)
    two = sequence_edges(positions, horizon=2)

    # then
    assert set(zip(one.src.tolist(), one.dst.tolist(), strict=True)) == {(0, 1), (1, 2), (2, 3), (3, 4)}
    assert set(zip(two.src.tolist(), two.dst.tolist(), strict=True)) == {
        (0, 1),
        (1, 2),
        (2, 3),
        (3, 4),
        (0, 2),
        (1, 3),
        (2, 4),
    }
    with pytest.raises(ValueError, match="horizon"):
        sequence_edges(positions, horizon=0)


def test_sequence_positions_order_undated_by_a_seeded_key_then_dated_by_time():
    # given one user with three data-set rows (no time) and two site events
    user = np.zeros(5, dtype=np.int64)
    item = np.array([0, 1, 2, 3, 4])
    timestamp = np.array([np.nan, np.nan, np.nan, 2000.0, 1000.0])

    # when
    pos = sequence_positions(user, item, timestamp)

    # then undated rows come first in the order of their seeded key, then site events by time
    order = item[np.argsort(pos)].tolist()
    key = undated_order_key(user[:3], item[:3])
    assert order == [*item[:3][np.argsort(key)].tolist(), 4, 3]
    # and the order does not depend on the order of the input rows
    shuffled = np.array([4, 2, 0, 3, 1])
    pos2 = sequence_positions(user[shuffled], item[shuffled], timestamp[shuffled])
    assert item[shuffled][np.argsort(pos2)].tolist() == order
    # a different user orders the same items differently (not by id)
    keys = [undated_order_key(np.full(20, u), np.arange(20)) for u in range(3)]
    assert len({tuple(np.argsort(k).tolist()) for k in keys}) == 3


def test_walks_match_the_reference_implementation_for_the_same_seed():
    # given a small weighted graph with a dead end (node 3)
    edges = EdgeList(
        src=np.array([0, 0, 1, 1, 2, 2, 2], dtype=np.int32),
        dst=np.array([1, 2, 0, 3, 0, 1, 3], dtype=np.int32),
        weight=np.array([3, 1, 1, 2, 1, 1, 5], dtype=np.float32),
        n_nodes=4,
    )

    # when
    fast = random_walks(edges, walks_per_node=20, walk_length=6, seed=7)
    slow = random_walks_reference(edges, walks_per_node=20, walk_length=6, seed=7)

    # then every walk is identical and walks stop at the dead end
    assert [row[row >= 0].tolist() for row in fast] == slow
    for row in fast:
        walk = row[row >= 0].tolist()
        assert 3 not in walk[:-1]
        assert len(walk) == 6 or walk[-1] == 3


def test_walks_are_deterministic_per_seed():
    edges = sequence_edges(synthetic_dataset(n_users=60, n_items=30, seed=1).positions())

    first = random_walks(edges, walks_per_node=3, walk_length=10, seed=5)
    again = random_walks(edges, walks_per_node=3, walk_length=10, seed=5)
    other = random_walks(edges, walks_per_node=3, walk_length=10, seed=6)

    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_walk_transitions_follow_edge_weights():
    # given node 0 with out-edges weighted 1 : 3 : 6
    edges = EdgeList(
        src=np.array([0, 0, 0, 1, 2, 3], dtype=np.int32),
        dst=np.array([1, 2, 3, 0, 0, 0], dtype=np.int32),
        weight=np.array([1, 3, 6, 1, 1, 1], dtype=np.float32),
        n_nodes=4,
    )

    # when
    walks = random_walks(edges, walks_per_node=3000, walk_length=2, seed=11)

    # then the first step out of node 0 lands in proportion to the weights
    from_zero = walks[walks[:, 0] == 0, 1]
    shares = np.bincount(from_zero, minlength=4)[1:] / from_zero.size
    assert shares == pytest.approx([0.1, 0.3, 0.6], abs=0.03)


def test_assign_parts_is_a_seeded_per_user_split():
    data = synthetic_dataset(n_users=50, n_items=40, seed=3)

    parts = assign_parts(data.user, seed=9)

    assert np.array_equal(parts, assign_parts(data.user, seed=9))
    assert not np.array_equal(parts, assign_parts(data.user, seed=10))
    for u in range(data.n_users):
        n = int((data.user == u).sum())
        n_test = int(((data.user == u) & (parts == PART_TEST)).sum())
        n_hold = int(((data.user == u) & (parts == PART_HOLDOUT)).sum())
        assert n_test == int(np.floor(0.2 * n))
        assert n_hold == int(np.floor(0.2 * (n - n_test)))
    assert set(np.unique(parts).tolist()) == {PART_FIT, PART_HOLDOUT, PART_TEST}


@pytest.mark.spark
def test_spark_graph_job_builds_the_same_graphs_as_numpy(tmp_path: Path):
    # given interactions with both dated and undated rows, split into parts
    from recsys.pipeline.spark_graph import DATASET_PARTS, build_item_graphs, write_rows
    from recsys.pipeline.train import GRAPH_PARTS, item_graphs

    base = synthetic_dataset(n_users=40, n_items=25, seed=2)
    timestamp = np.where(base.user % 5 == 0, 1_600_000_000.0 + np.arange(base.n_rows) * 3.0, np.nan)
    items = ItemTable.bare(base.items.anime_ids)
    items.air_key = np.where(np.arange(base.n_items) % 7 == 0, np.nan, (np.arange(base.n_items) * 37) % 11)
    data = Dataset(
        user_ids=base.user_ids,
        items=items,
        user=base.user,
        item=base.item,
        score=base.score,
        favorite=base.favorite,
        timestamp=timestamp,
    )
    data.part = assign_parts(data.user, seed=1)

    # when
    rows = write_rows(data, tmp_path / "rows.parquet")
    spark = build_item_graphs(rows_path=rows, out_dir=tmp_path, n_items=data.n_items, master="local[1]")
    reference = {
        name: sequence_edges(data.positions(np.isin(data.part, parts))).sorted()
        for name, parts in DATASET_PARTS.items()
    }
    # training asks for the graphs it needs, from either builder
    assert set(item_graphs(data, work_dir=tmp_path, spark_master=None)) == set(GRAPH_PARTS)

    # then
    assert set(spark) == {"full", "train", "fit"}
    for name, graph in spark.items():
        ref = reference[name]
        assert len(graph) == len(ref) > 0
        assert np.array_equal(graph.src, ref.src)
        assert np.array_equal(graph.dst, ref.dst)
        assert np.array_equal(graph.weight, ref.weight)


@pytest.mark.spark
@pytest.mark.parametrize("dated", [False, True], ids=["no timestamps", "timestamps"])
def test_spark_and_numpy_graphs_follow_the_line_order_of_external_files(tmp_path: Path, dated: bool):
    # given a file whose ids sort differently as text and as numbers ("148" < "1088" as numbers)
    from recsys.pipeline.files import dataset_from_files
    from recsys.pipeline.spark_graph import DATASET_PARTS, build_item_graphs, write_rows

    rng = np.random.default_rng(4)
    ids = ["1088", "1131", "148", "20", "3", "999", "45", "7000"]
    lines = []
    for user in range(30):
        seq = rng.permutation(ids)[: rng.integers(3, 8)]
        for n, item in enumerate(seq):
            stamp = f",{1_600_000_000 + 100 * n}" if dated else ""
            lines.append(f"{user},{item},8{stamp}")
    train = tmp_path / "train.csv"
    test = tmp_path / "test.csv"
    header = "user_id,item_id,rating" + (",timestamp" if dated else "")
    train.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    test.write_text(header + "\n", encoding="utf-8")
    data, _ = dataset_from_files(train, test, "csv")
    data.part = assign_parts(data.user, seed=1)

    # when
    rows = write_rows(data, tmp_path / "rows.parquet")
    spark = build_item_graphs(rows_path=rows, out_dir=tmp_path, n_items=data.n_items, master="local[1]")
    reference = {
        name: sequence_edges(data.positions(np.isin(data.part, parts))).sorted()
        for name, parts in DATASET_PARTS.items()
    }

    # then both builds give the same edges, and the "full" graph holds exactly the file's moves
    for name, graph in spark.items():
        ref = reference[name]
        assert np.array_equal(graph.src, ref.src)
        assert np.array_equal(graph.dst, ref.dst)
        assert np.array_equal(graph.weight, ref.weight)
    anime = data.items.anime_ids
    moves: dict[tuple[int, int], int] = {}
    by_user: dict[str, list[str]] = {}
    for line in lines:
        user, item = line.split(",")[:2]
        by_user.setdefault(user, []).append(item)
    for seq in by_user.values():
        for i, a in enumerate(seq):
            for b in seq[i + 1 : i + 1 + GRAPH_HORIZON]:
                moves[(int(a), int(b))] = moves.get((int(a), int(b)), 0) + 1
    full = spark["full"]
    got = {
        (int(anime[s]), int(anime[d])): int(w)
        for s, d, w in zip(full.src, full.dst, full.weight, strict=True)
    }
    assert got == moves
