"""Spark job: behaviour rows -> per-user sequences -> directed weighted item graphs.

Input is a parquet file written by :func:`write_rows` (one row per user x anime pair, with its
evaluation part). In one job the graph is built for several row sets ("datasets"): ``full`` (every
row: the served model), ``train`` (fit + holdout: evaluation) and ``fit`` (fit only: the ranker's
training features), so evaluation never sees a test row. The edges are exactly those of
:func:`recsys.pipeline.walks.sequence_edges` (to each of the next ``GRAPH_HORIZON`` items): the
job orders each user's rows by the
:attr:`~recsys.pipeline.data.Dataset.sequence` column it is given (integers, so no order can
depend on how ids compare as text), the order documented in
:func:`recsys.pipeline.data.sequence_positions` and, for external files, line order.

Input and output are locations (paths or URIs, :class:`animesite.storage.Location`): the rows
file is read and the edges are written by the executors (no Python function runs there, so a
standalone cluster needs none of the project's code), and the driver reads the edges back with
pyarrow, so on a cluster of several machines both can sit on shared storage (HDFS, S3).
Parallelism follows the cluster: ``SPARK_SHUFFLE_PARTITIONS`` (environment; default 2).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from animesite.storage import Location
from recsys.pipeline.data import PART_FIT, PART_HOLDOUT, Dataset
from recsys.pipeline.walks import GRAPH_HORIZON, EdgeList

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DATASET_PARTS: Mapping[str, tuple[int, ...]] = {
    "full": (0, 1, 2),
    "train": (PART_FIT, PART_HOLDOUT),
    "fit": (PART_FIT,),
}
"""Which evaluation parts (:data:`recsys.pipeline.data.PART_FIT`, ...) each graph is built from."""

ROWS_SCHEMA = pa.schema(
    [
        pa.field("user", pa.int32(), nullable=False),
        pa.field("item", pa.int32(), nullable=False),
        pa.field("sequence", pa.int32(), nullable=False),
        pa.field("part", pa.int8(), nullable=False),
    ]
)


def write_rows(dataset: Dataset, path: Path | str | Location) -> Location:
    """Write the rows the graph job reads (user, item, position in the user's sequence, part).

    The position is :attr:`Dataset.sequence`, the one documented order (site events by time,
    data-set rows by the air-date proxy, external files by line), so the job never re-derives it.

    Parameters
    ----------
    dataset : Dataset
        The interactions.
    path : pathlib.Path, str or Location
        Parquet file to write (a path or URI).

    Returns
    -------
    Location
        Where it was written.
    """
    positive = dataset.weights() > 0  # disliked rows make no edge (as in Dataset.positions)
    table = pa.table(
        {
            "user": pa.array(dataset.user[positive], type=pa.int32()),
            "item": pa.array(dataset.item[positive], type=pa.int32()),
            "sequence": pa.array(dataset.sequence[positive], type=pa.int32()),
            "part": pa.array(dataset.part[positive], type=pa.int8()),
        },
        schema=ROWS_SCHEMA,
    )
    target = Location(path)
    filesystem, inner = target.filesystem()
    filesystem.create_dir(inner.rsplit("/", 1)[0], recursive=True)
    pq.write_table(table, inner, filesystem=filesystem)
    return target


@contextmanager
def spark_session(master: str, app_name: str = "animesite-recsys-graph") -> Iterator[SparkSession]:
    """The shared Spark session (``animesite.spark.spark_session``), stopped on exit."""
    from animesite.spark import spark_session as shared_spark_session

    partitions = int(os.environ.get("SPARK_SHUFFLE_PARTITIONS") or 2)
    spark = shared_spark_session(master, app_name, shuffle_partitions=partitions)
    try:
        yield spark
    finally:
        spark.stop()


def build_item_graphs(
    *,
    rows_path: Path | str | Location,
    out_dir: Path | str | Location,
    n_items: int,
    master: str = "local[2]",
    datasets: Mapping[str, tuple[int, ...]] = DATASET_PARTS,
    horizon: int = GRAPH_HORIZON,
) -> dict[str, EdgeList]:
    """Run the Spark job and return one item graph per dataset.

    Parameters
    ----------
    rows_path : pathlib.Path, str or Location
        Parquet written by :func:`write_rows` (a path or URI the executors reach).
    out_dir : pathlib.Path, str or Location
        Where the executors write the edges (``out_dir/edges.parquet``, a parquet folder with
        columns dataset, src, dst, weight).
    n_items : int
        Number of item indices (nodes).
    master : str
        Spark master URL (``settings.SPARK_MASTER``).
    datasets : mapping
        Dataset name -> evaluation parts it includes.
    horizon : int
        An edge from each item to each of the next ``horizon`` items of the sequence
        (:data:`recsys.pipeline.walks.GRAPH_HORIZON`).

    Returns
    -------
    dict
        Dataset name -> :class:`~recsys.pipeline.walks.EdgeList` (sorted by src, dst).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import ByteType, IntegerType, StructField, StructType

    schema = StructType(
        [
            StructField("user", IntegerType(), False),
            StructField("item", IntegerType(), False),
            StructField("sequence", IntegerType(), False),
            StructField("part", ByteType(), False),
        ]
    )
    with spark_session(master) as session:
        rows = session.read.schema(schema).parquet(str(Location(rows_path)))
        # Each row joins every dataset whose parts include its part.
        memberships = F.array(
            *[F.when(F.col("part").isin(list(parts)), F.lit(name)) for name, parts in datasets.items()]
        )
        expanded = rows.select(
            "*", F.explode(F.filter(memberships, lambda x: x.isNotNull())).alias("dataset")
        )
        sequence = Window.partitionBy("dataset", "user").orderBy(F.col("sequence").asc())
        # One move to each of the next ``horizon`` items (walks.GRAPH_HORIZON).
        ahead = F.array(*[F.lead("item", step).over(sequence) for step in range(1, horizon + 1)])
        moves = (
            expanded.withColumn("ahead", ahead)
            .select("dataset", "item", F.explode("ahead").alias("dst"))
            .where(F.col("dst").isNotNull())
            .groupBy("dataset", F.col("item").alias("src"), "dst")
            .agg(F.count(F.lit(1)).cast("float").alias("weight"))
        )
        edges = Location(out_dir) / "edges.parquet"
        moves.write.mode("overwrite").parquet(str(edges))
    filesystem, inner = edges.filesystem()
    table = pq.read_table(inner, filesystem=filesystem, columns=["dataset", "src", "dst", "weight"])
    dataset_col = table.column("dataset").to_numpy(zero_copy_only=False)
    graphs: dict[str, EdgeList] = {}
    for name in datasets:
        sel = dataset_col == name
        graphs[name] = EdgeList(
            table.column("src").to_numpy()[sel].astype(np.int32),
            table.column("dst").to_numpy()[sel].astype(np.int32),
            table.column("weight").to_numpy()[sel].astype(np.float32),
            n_items,
        ).sorted()
    return graphs
