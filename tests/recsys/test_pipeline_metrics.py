"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recsys.pipeline.metrics import (
    coverage_at_k,
    evaluate_lists,
    ndcg_at_k,
    recall_at_k,
    recall_standard_at_k,
)


def test_recall_is_normalised_by_the_smaller_of_k_and_the_relevant_count():
    # 2 of the 3 relevant items in the top 5
    assert recall_at_k([7, 1, 9, 3, 4], {1, 3, 8}, 5) == pytest.approx(2 / 3)
    # with k = 2 only item 1 counts, and the ideal is 2 hits
    assert recall_at_k([7, 1, 9, 3, 4], {1, 3, 8}, 2) == pytest.approx(1 / 2)
    assert recall_at_k([1, 2], set(), 2) == 0.0


def test_standard_recall_divides_hits_by_every_held_out_item():
    # 2 of the 3 held-out items in the top 5; with k = 2 one hit of 3 (the normalised one says 1/2)
    assert recall_standard_at_k([7, 1, 9, 3, 4], {1, 3, 8}, 5) == pytest.approx(2 / 3)
    assert recall_standard_at_k([7, 1, 9, 3, 4], {1, 3, 8}, 2) == pytest.approx(1 / 3)
    assert recall_standard_at_k([1, 2], set(), 2) == 0.0


def test_ndcg_with_binary_relevance():
    # hits at positions 1 and 3 (0-based); ideal: hits at 0 and 1
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k([5, 1, 6, 2], {1, 2}, 4) == pytest.approx(dcg / idcg)
    assert ndcg_at_k([1, 2, 3], {1, 2}, 3) == pytest.approx(1.0)
    assert ndcg_at_k([3, 4], {1}, 2) == 0.0


def test_padding_never_hits():
    assert recall_at_k([-1, -1], {1}, 2) == 0.0
    assert ndcg_at_k([-1, 1], {1}, 2) == pytest.approx(1 / math.log2(3))


def test_coverage_counts_distinct_items_over_the_catalogue():
    lists = np.array([[0, 1, 2], [1, 2, -1], [4, 0, 1]])
    assert coverage_at_k(lists, 10, 3) == pytest.approx(4 / 10)
    assert coverage_at_k(lists, 10, 1) == pytest.approx(3 / 10)  # items 0, 1, 4


def test_evaluate_lists_averages_over_users_with_relevant_items():
    lists = np.array([[1, 2], [3, 4], [5, 6]])
    relevant = [np.array([1]), np.array([], dtype=np.int64), np.array([9, 6])]

    m = evaluate_lists(lists, relevant, n_items=10, ks=(2,))

    assert m["users"] == 2
    assert m["recall_norm@2"] == pytest.approx((1.0 + 0.5) / 2)
    assert m["recall@2"] == pytest.approx((1.0 + 0.5) / 2)
    # three held-out items, one hit in the top 2: standard 1/3, normalised 1/2
    m3 = evaluate_lists(np.array([[1, 5]]), [np.array([1, 2, 3])], n_items=10, ks=(2,))
    assert m3["recall@2"] == pytest.approx(1 / 3)
    assert m3["recall_norm@2"] == pytest.approx(1 / 2)
    ndcg_third = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert m["ndcg@2"] == pytest.approx((1.0 + ndcg_third) / 2)
    # coverage only over evaluated users' lists: items 1, 2, 5, 6
    assert m["coverage@2"] == pytest.approx(0.4)
