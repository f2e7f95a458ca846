"""The catalogue ETL on a Spark standalone cluster (a master and a worker started from the pyspark
package on loopback): the project's code reaches the executors and the output equals local mode."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "anime"

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``spark://127.0.0.1:<port>`` of a master and one worker (1 core, 1 GB) from pyspark's scripts."""
    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    port, ui, worker_ui = _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_WORKER_DIR": str(tmp_path_factory.mktemp("spark-worker")),
    }
    # The executors must not find the project on their own: clear what the driver inherited.
    env.pop("PYTHONPATH", None)
    logs = tmp_path_factory.mktemp("spark-logs")
    master = subprocess.Popen(
        [
            str(spark_class),
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(ui),
        ],
        env=env,
        stdout=(logs / "master.log").open("w"),
        stderr=subprocess.STDOUT,
        cwd=logs,
    )
    url = f"spark://127.0.0.1:{port}"
    worker = subprocess.Popen(
        [
            str(spark_class),
            "org.apache.spark.deploy.worker.Worker",
            "--host",
            "127.0.0.1",
            "--cores",
            "1",
            "--memory",
            "1g",
            "--webui-port",
            str(worker_ui),
            url,
        ],
        env=env,
        stdout=(logs / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
        cwd=logs,
    )
    try:
        _wait_for_port(port)
        time.sleep(5)  # the worker registers with the master
        yield url
    finally:
        for process in (worker, master):
            process.terminate()
        for process in (worker, master):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _rows(folder: Path, table: str, key: str) -> list[dict]:
    return sorted(pq.read_table(folder / table).to_pylist(), key=lambda row: str(row[key]))


def test_etl_runs_on_a_standalone_cluster_as_it_runs_locally(
    cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalog.etl.job import run_etl

    monkeypatch.chdir(tmp_path)  # the executors cannot import the project from the working directory
    on_cluster = run_etl(
        data_dir=FIXTURES, output_dir=tmp_path / "cluster", master=cluster, report=lambda _m: None
    )
    local = run_etl(
        data_dir=FIXTURES, output_dir=tmp_path / "local", master="local[1]", report=lambda _m: None
    )

    assert on_cluster.counts == local.counts
    for table, key in (("anime", "anime_key"), ("franchises", "franchise_key"), ("anime_titles", "text")):
        assert _rows(tmp_path / "cluster", table, key) == _rows(tmp_path / "local", table, key), table
    assert on_cluster.counts["anime"] == 9


def test_training_graph_runs_on_the_cluster_as_it_runs_locally(
    cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from recsys.pipeline.data import assign_parts
    from recsys.pipeline.spark_graph import DATASET_PARTS, build_item_graphs, write_rows
    from recsys.pipeline.synthetic import synthetic_dataset
    from recsys.pipeline.walks import sequence_edges

    monkeypatch.chdir(tmp_path)
    data = synthetic_dataset(n_users=60, n_items=30, seed=3)
    data.part = assign_parts(data.user, seed=1)
    rows = write_rows(data, (tmp_path / "rows.parquet").as_uri())  # locations are URIs

    on_cluster = build_item_graphs(
        rows_path=rows, out_dir=(tmp_path / "cluster").as_uri(), n_items=data.n_items, master=cluster
    )
    local = build_item_graphs(
        rows_path=rows, out_dir=tmp_path / "local", n_items=data.n_items, master="local[1]"
    )
    reference = {
        name: sequence_edges(data.positions(np.isin(data.part, parts))).sorted()
        for name, parts in DATASET_PARTS.items()
    }

    assert set(on_cluster) == set(local) == {"full", "train", "fit"}
    for name, graph in on_cluster.items():
        assert len(graph) == len(local[name]) == len(reference[name]) > 0
        for other in (local[name], reference[name]):
            assert np.array_equal(graph.src, other.src)
            assert np.array_equal(graph.dst, other.dst)
            assert np.array_equal(graph.weight, other.weight)
    assert len(list((tmp_path / "cluster" / "edges.parquet").glob("*.parquet"))) >= 1
