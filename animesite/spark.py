"""The one Spark session builder, used by the catalogue ETL and the recommender's graph job.

A quiet session (``SPARK_MASTER`` decides where it runs) whose driver listens on loopback unless
``SPARK_DRIVER_HOST`` / ``SPARK_DRIVER_BIND_ADDRESS`` name an address that a cluster's executors on
other machines reach. Shuffle
partitions come from the caller (``SPARK_SHUFFLE_PARTITIONS``); on a cluster the default
parallelism is the executors' cores, locally 2. Spark's own logging is limited to errors
(``log4j2.properties`` next to this module).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def spark_session(
    master: str = "local[2]",
    app_name: str = "animesite",
    *,
    shuffle_partitions: int = 2,
    config: Mapping[str, str] | None = None,
) -> SparkSession:
    """A Spark session (``getOrCreate``: an existing one is reused); ``config`` adds settings."""
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.host", os.environ.get("SPARK_DRIVER_HOST") or "127.0.0.1")
        .config("spark.driver.bindAddress", os.environ.get("SPARK_DRIVER_BIND_ADDRESS") or "127.0.0.1")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}")
    )
    if master.startswith("local"):
        # On a cluster the default parallelism is the executors' cores (Spark's own default).
        builder = builder.config("spark.default.parallelism", "2")
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
