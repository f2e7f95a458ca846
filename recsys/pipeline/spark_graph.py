"""Spark job: behaviour rows -> per-user sequences -> directed weighted item graphs.

Input is a parquet file written by :func:`write_rows` (one row per user x anime pair, with its
evaluation part). In one job the graph is built for several row sets ("datasets"): ``full`` (every
row: the served model), ``train`` (fit + holdout: evaluation) and ``fit`` (fit only: the ranker's
training features), so evaluation never sees a test row. The edges are exactly those of
:func:`recsys.pipeline.walks.sequence_edges`; the order of a sequence is the one documented in
:func:`recsys.pipeline.data.sequence_positions`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from recsys.pipeline.data import PART_FIT, PART_HOLDOUT, Dataset
from recsys.pipeline.walks import EdgeList

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
        pa.field("timestamp", pa.float64(), nullable=True),
        pa.field("air_key", pa.float64(), nullable=True),
        pa.field("part", pa.int8(), nullable=False),
    ]
)


def write_rows(dataset: Dataset, path: Path) -> Path:
    """Write the rows the graph job reads (user, item, timestamp, the item's air date, part).

    Parameters
    ----------
    dataset : Dataset
        The interactions.
    path : pathlib.Path
        Parquet file to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    air = dataset.items.air_key[dataset.item]
    table = pa.table(
        {
            "user": pa.array(dataset.user, type=pa.int32()),
            "item": pa.array(dataset.item, type=pa.int32()),
            "timestamp": pa.array(dataset.timestamp, type=pa.float64(), from_pandas=True),
            "air_key": pa.array(air, type=pa.float64(), from_pandas=True),
            "part": pa.array(dataset.part, type=pa.int8()),
        },
        schema=ROWS_SCHEMA,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


@contextmanager
def spark_session(master: str, app_name: str = "animesite-recsys-graph") -> Iterator[SparkSession]:
    """The shared Spark session (``animesite.spark.spark_session``), stopped on exit."""
    from animesite.spark import spark_session as shared_spark_session

    spark = shared_spark_session(master, app_name, shuffle_partitions=2)
    try:
        yield spark
    finally:
        spark.stop()


def build_item_graphs(
    *,
    rows_path: Path,
    out_dir: Path,
    n_items: int,
    master: str = "local[2]",
    datasets: Mapping[str, tuple[int, ...]] = DATASET_PARTS,
) -> dict[str, EdgeList]:
    """Run the Spark job and return one item graph per dataset.

    Parameters
    ----------
    rows_path : pathlib.Path
        Parquet written by :func:`write_rows`.
    out_dir : pathlib.Path
        Where the edges are kept (``out_dir/edges.parquet``, columns dataset, src, dst, weight).
    n_items : int
        Number of item indices (nodes).
    master : str
        Spark master URL (``settings.SPARK_MASTER``).
    datasets : mapping
        Dataset name -> evaluation parts it includes.

    Returns
    -------
    dict
        Dataset name -> :class:`~recsys.pipeline.walks.EdgeList` (sorted by src, dst).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import ByteType, DoubleType, IntegerType, StructField, StructType

    schema = StructType(
        [
            StructField("user", IntegerType(), False),
            StructField("item", IntegerType(), False),
            StructField("timestamp", DoubleType(), True),
            StructField("air_key", DoubleType(), True),
            StructField("part", ByteType(), False),
        ]
    )
    with spark_session(master) as session:
        rows = session.read.schema(schema).parquet(str(rows_path))
        dated = F.col("timestamp").isNotNull()
        rows = rows.select(
            "user",
            "item",
            "part",
            dated.cast("int").alias("dated"),
            F.col("timestamp").alias("t"),
            F.when(dated, F.lit(0.0)).otherwise(F.col("air_key")).alias("air"),
        )
        # Each row joins every dataset whose parts include its part.
        memberships = F.array(
            *[F.when(F.col("part").isin(list(parts)), F.lit(name)) for name, parts in datasets.items()]
        )
        expanded = rows.select(
            "*", F.explode(F.filter(memberships, lambda x: x.isNotNull())).alias("dataset")
        )
        sequence = Window.partitionBy("dataset", "user").orderBy(
            F.col("dated").asc(),
            F.col("t").asc_nulls_first(),
            F.col("air").asc_nulls_last(),
            F.col("item").asc(),
        )
        moves = (
            expanded.withColumn("dst", F.lead("item").over(sequence))
            .where(F.col("dst").isNotNull())
            .groupBy("dataset", F.col("item").alias("src"), "dst")
            .agg(F.count(F.lit(1)).cast("float").alias("weight"))
        )
        table = moves.toArrow()
    edges_path = out_dir / "edges.parquet"
    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, edges_path)
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
