"""Who builds the item graphs: the Spark job or the training process."""

from __future__ import annotations

from recsys.pipeline.train import graph_master


def test_small_data_on_a_local_master_is_built_in_process():
    said: list[str] = []
    assert graph_master("local[2]", rows=500_000, min_rows=2_000_000, progress=said.append) is None
    assert said and "SPARK_GRAPH_MIN_ROWS" in said[0]


def test_large_data_on_a_local_master_goes_to_spark():
    assert graph_master("local[2]", rows=2_000_000, min_rows=2_000_000, progress=print) == "local[2]"


def test_a_cluster_master_always_gets_the_job():
    master = "spark://spark-master:7077"
    assert graph_master(master, rows=10, min_rows=2_000_000, progress=print) == master


def test_no_master_means_in_process():
    assert graph_master("", rows=10**9, min_rows=0, progress=print) is None
