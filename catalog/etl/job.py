"""The catalogue ETL: raw anime files -> cleaned, joined parquet tables keyed by MyAnimeList id.

Inputs (``DATA_DIR``, described in its README): two MyAnimeList snapshots (2017 and 2020), the
CooperUnion 5,000-user sample (history, ratings, item table, item -> MAL id map), bangumi-data,
bangumi.tv subjects (bgmd, joined through bangumi-data's ``sites[site=bangumi]``) and the ARM id map.

Outputs (``ETL_OUTPUT_DIR``): one parquet folder per table in ``OUTPUT_TABLES`` and a
``manifest.json`` with counts and timings, written last: a folder without a manifest is incomplete.

Both locations are URIs (:class:`animesite.storage.Location`; a plain path is ``file://``): Spark
reads the inputs and writes the tables through its Hadoop filesystems, the driver stages,
checks and publishes through :mod:`pyarrow.fs`, so on a cluster both can be shared storage
(HDFS, S3) that every executor reaches. Nothing large comes back to the driver: the checks read
parquet footers and a few columns, the franchise rules stream one small row per anime.

Every cleaning rule is a pure function of ``catalog.etl.transforms``; the job wraps them as Spark
UDFs and does the joins, deduplication and windowing in Spark.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    StringType,
)

from animesite.spark import spark_session as _spark_session
from animesite.storage import Location
from catalog.etl import franchises
from catalog.etl import transforms as tf
from catalog.etl.output import MANIFEST, OUTPUT_TABLES
from catalog.etl.readers import (
    read_arm,
    read_bangumi_items,
    read_bgmd,
    read_mal_2017,
    read_mal_2020,
    read_sample,
)
from catalog.etl.titles import build_policy, build_titles, first_titles, read_curated_english
from catalog.etl.udfs import (
    clean_tag,
    clean_text,
    clean_title,
    main_title,
    season_of_date,
    title_key,
    valid_mean_score,
)

logger = logging.getLogger(__name__)


def spark_session(
    master: str = "local[2]",
    app_name: str = "animesite-catalog-etl",
    *,
    shuffle_partitions: int | None = None,
    driver_memory: str | None = None,
) -> SparkSession:
    """The ETL's Spark session (``animesite.spark.spark_session``).

    Whole-stage code generation is off: compiling it costs more than it saves on tables this
    small. Shuffle partitions and driver memory come from the arguments, else from the
    ``SPARK_SHUFFLE_PARTITIONS`` / ``SPARK_DRIVER_MEMORY`` environment variables (4 and 1g by
    default). The ETL's own code is shipped to the executors (:func:`ship_etl_code`): its UDFs
    call ``catalog.etl`` functions there, on a cluster as in local mode whatever the working
    directory.
    """
    partitions = shuffle_partitions or int(os.environ.get("SPARK_SHUFFLE_PARTITIONS") or 4)
    config = {"spark.sql.codegen.wholeStage": "false"}
    memory = driver_memory or os.environ.get("SPARK_DRIVER_MEMORY")
    if memory:
        config["spark.driver.memory"] = memory
    spark = _spark_session(master, app_name, shuffle_partitions=partitions, config=config)
    ship_etl_code(spark)
    return spark


def etl_code_zip(target_dir: Path) -> Path:
    """A zip of the ``catalog`` package's ETL modules (``catalog/__init__.py`` and ``catalog/etl``,
    data files included) that executors can import from."""
    package_root = Path(__file__).resolve().parents[2]
    target = target_dir / "animesite-catalog-etl.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(package_root / "catalog" / "__init__.py", "catalog/__init__.py")
        for path in sorted((package_root / "catalog" / "etl").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, str(path.relative_to(package_root)))
    return target


def ship_etl_code(spark: SparkSession) -> None:
    """Send the ETL's code to every executor (``SparkContext.addPyFile``), so UDFs that call
    ``catalog.etl`` functions import there as they do on the driver."""
    folder = Path(tempfile.mkdtemp(prefix="animesite-etl-code-"))
    spark.sparkContext.addPyFile(str(etl_code_zip(folder)))


__all__ = ["run_etl", "spark_session"]


# --- result --------------------------------------------------------------------------------


@dataclass
class EtlResult:
    output_dir: Location
    counts: dict[str, int] = field(default_factory=dict)
    checks: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """Wall time of the job (per-table write times are part of the "join and write" stage)."""
        return round(sum(v for k, v in self.timings.items() if not k.startswith("write ")), 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "checks": self.checks,
            "timings": self.timings,
            "seconds": self.seconds,
        }


@contextmanager
def _stage(result: EtlResult, name: str, report: Callable[[str], None]) -> Iterator[None]:
    start = time.perf_counter()
    report(f"etl: {name}...")
    yield
    result.timings[name] = round(time.perf_counter() - start, 2)
    report(f"etl: {name} done in {result.timings[name]:.1f} s")


# --- transforms ----------------------------------------------------------------------------


def _mal_key(column: str = "mal_id") -> Column:
    return F.concat(F.lit(f"{tf.MAL_KEY}:"), F.col(column).cast("string"))


def build_mal_catalogue(mal_17: DataFrame, mal_20: DataFrame, info_genres: DataFrame) -> DataFrame:
    """Union of both MAL snapshots: 2020 values where present, 2017 values otherwise (the 2017 name
    where the 2020 one lost a prefix such as ``.hack//``)."""
    joined = mal_20.join(mal_17, "mal_id", "full_outer").join(info_genres, "mal_id", "left")
    genres = (
        F.when(F.size("genres_20") > 0, F.col("genres_20"))
        .when(F.size("genres_17") > 0, F.col("genres_17"))
        .when(F.size("genres_info") > 0, F.col("genres_info"))
        .otherwise(F.array().cast(ArrayType(StringType())))
    )
    return joined.select(
        _mal_key().alias("anime_key"),
        "mal_id",
        main_title("name_20", "name_17").alias("mal_title"),
        "name_17",
        "name_20",
        F.coalesce("type_20", "type_17").alias("mal_type"),
        F.coalesce("episodes_20", "episodes_17").alias("episodes"),
        valid_mean_score(F.coalesce("score_20", "score_17")).alias("score"),
        F.coalesce("members_20", "members_17", F.lit(0)).alias("members"),
        genres.alias("genres"),
    ).where(F.col("mal_title").isNotNull())


def attach_bgmd(items: DataFrame, bgmd: DataFrame) -> DataFrame:
    """bangumi-data items joined to their bangumi.tv subject, ranked per anime (earliest first)."""
    joined = items.join(bgmd, items["bangumi_id"] == bgmd["bgm_id"], "left").withColumn(
        "aired_from", F.coalesce("begin_date", "bgm_air_date")
    )
    rank = Window.partitionBy("anime_key").orderBy(F.col("aired_from").asc_nulls_last(), "item_idx")
    return joined.withColumn("item_rank", F.row_number().over(rank))


def build_catalogue(mal: DataFrame, items: DataFrame) -> DataFrame:
    """The catalogue: the MyAnimeList snapshots and bangumi-data (union), one row per ``anime_key``.

    ``source`` says where the entry comes from: ``both``, ``mal`` (snapshots only) or
    ``bangumi`` (bangumi-data only; with or without a MAL id the snapshots lack). The main title
    is the MyAnimeList title, else bangumi-data's original title, else bangumi.tv's name.
    """
    first = items.where(F.col("item_rank") == 1).select(
        "anime_key",
        F.col("mal_id").alias("bd_mal_id"),
        "bangumi_id",
        clean_title("bd_title").alias("bd_title"),
        "bd_language",
        clean_title("bgm_name").alias("bgm_title"),
        F.lit(True).alias("in_bangumi_data"),
    )
    joined = mal.join(first, "anime_key", "full_outer")
    in_mal = F.col("mal_title").isNotNull()
    in_bangumi_data = F.col("in_bangumi_data").isNotNull()
    source = (
        F.when(in_mal & in_bangumi_data, F.lit("both")).when(in_mal, F.lit("mal")).otherwise(F.lit("bangumi"))
    )
    return joined.select(
        "anime_key",
        F.coalesce("mal_id", "bd_mal_id").alias("mal_id"),
        "bangumi_id",
        F.coalesce("mal_title", "bd_title", "bgm_title").alias("title"),
        F.when(F.col("mal_title").isNotNull(), F.lit(tf.ROMAJI))
        .otherwise(F.coalesce("bd_language", F.lit(tf.JAPANESE)))
        .alias("title_language"),
        "name_17",
        "name_20",
        "mal_type",
        "episodes",
        "score",
        F.coalesce("members", F.lit(0)).alias("members"),
        F.coalesce("genres", F.array().cast(ArrayType(StringType()))).alias("genres"),
        source.alias("source"),
    ).where(F.col("title").isNotNull())


def build_anime(catalogue: DataFrame, items: DataFrame, titles: DataFrame, policy: DataFrame) -> DataFrame:
    primary = items.where(F.col("item_rank") == 1).select(
        "anime_key",
        "bd_type",
        "aired_from",
        F.col("end_date").alias("aired_to"),
        F.coalesce("bgm_summary", "tmdb_overview").alias("synopsis_zh"),
        F.col("bgm_cover").alias("cover_url"),
        "official_site",
        "broadcast_start",
        "broadcast_period_days",
    )
    return (
        catalogue.join(primary, "anime_key", "left")
        .join(first_titles(titles), "anime_key", "left")
        .join(policy, "anime_key", "left")
        .select(
            "anime_key",
            "mal_id",
            "bangumi_id",
            "source",
            "title",
            "title_en",
            "title_ja",
            "title_zh_hans",
            "title_zh_hant",
            "display_en",
            "display_zh",
            F.coalesce("mal_type", "bd_type").alias("type"),
            "episodes",
            "aired_from",
            "aired_to",
            F.year("aired_from").alias("year"),
            season_of_date("aired_from").alias("season"),
            "score",
            "members",
            "synopsis_zh",
            "cover_url",
            "official_site",
            "broadcast_start",
            "broadcast_period_days",
            "franchise_key",
            "franchise_position",
        )
    )


def build_genres(catalogue: DataFrame) -> DataFrame:
    return catalogue.select("anime_key", F.posexplode("genres").alias("position", "genre"))


def build_tags(catalogue: DataFrame, items: DataFrame) -> DataFrame:
    """bangumi.tv tags per anime; one spelling per tag across the catalogue."""
    raw = (
        items.select("anime_key", "item_rank", F.posexplode("bgm_tags").alias("pos", "tag"))
        .withColumn("tag", clean_tag("tag"))
        .where(F.col("tag").isNotNull())
        .join(catalogue.select("anime_key"), "anime_key", "left_semi")
        .withColumn("key", title_key("tag"))
    )
    canonical = raw.groupBy("key").agg(F.min("tag").alias("canonical"))
    first = Window.partitionBy("anime_key", "key").orderBy("item_rank", "pos")
    return (
        raw.join(canonical, "key")
        .withColumn("n", F.row_number().over(first))
        .where(F.col("n") == 1)
        .select("anime_key", F.col("canonical").alias("tag"), F.col("pos").alias("position"))
    )


def build_external_ids(catalogue: DataFrame, items: DataFrame, arm: DataFrame) -> DataFrame:
    """MAL, every bangumi-data site, and the ARM map's sites that bangumi-data lacks for the anime."""
    mal = catalogue.where(F.col("mal_id").isNotNull()).select(
        "anime_key", F.lit("mal").alias("site"), F.col("mal_id").cast("string").alias("external_id")
    )
    sites = items.select("anime_key", F.explode("sites").alias("s")).select(
        "anime_key", clean_text("s.site").alias("site"), clean_text("s.id").alias("external_id")
    )
    from_sites = mal.unionByName(sites).where(F.col("site").isNotNull() & F.col("external_id").isNotNull())
    arm_rows = arm.select(
        _mal_key().alias("anime_key"),
        F.explode(
            F.array(
                F.struct(
                    F.lit("aniList").alias("site"), F.col("anilist_id").cast("string").alias("external_id")
                ),
                F.struct(
                    F.lit("annict").alias("site"), F.col("annict_id").cast("string").alias("external_id")
                ),
                F.struct(
                    F.lit("syobocal").alias("site"), F.col("syobocal_tid").cast("string").alias("external_id")
                ),
            )
        ).alias("e"),
    ).select("anime_key", "e.site", "e.external_id")
    arm_rows = arm_rows.where(F.col("external_id").isNotNull()).join(
        from_sites.select("anime_key", "site").distinct(), ["anime_key", "site"], "left_anti"
    )
    return (
        from_sites.unionByName(arm_rows)
        .where((F.length("site") <= 32) & (F.length("external_id") <= 64))
        .join(catalogue.select("anime_key"), "anime_key", "left_semi")
        .dropDuplicates(["anime_key", "site", "external_id"])
    )


def build_feedback(history: DataFrame, ratings: DataFrame, item_map: DataFrame) -> DataFrame:
    """History and ratings side by side, with MAL ids: every list entry of the sample (``in_history``)
    with its 1-10 score where the user gave one; rating rows outside the history are kept, flagged, for
    the checks."""
    listed = (
        history.where(F.col("dataset_user_id").isNotNull() & F.col("item_id").isNotNull())
        .dropDuplicates(["dataset_user_id", "item_id"])
        .withColumn("in_history", F.lit(True))
    )
    scored = ratings.groupBy("dataset_user_id", "item_id").agg(F.max("score").alias("score"))
    return (
        listed.join(scored, ["dataset_user_id", "item_id"], "full_outer")
        .join(item_map, "item_id", "left")
        .select(
            "dataset_user_id",
            "item_id",
            "mal_id",
            "score",
            F.coalesce("in_history", F.lit(False)).alias("in_history"),
        )
    )


# --- the job -------------------------------------------------------------------------------


def _write(df: DataFrame, location: Location) -> None:
    df.coalesce(1).write.mode("overwrite").parquet(str(location))


def run_etl(
    *,
    data_dir: Path | str | Location,
    output_dir: Path | str | Location,
    master: str = "local[2]",
    spark: SparkSession | None = None,
    report: Callable[[str], None] | None = None,
    shuffle_partitions: int | None = None,
    driver_memory: str | None = None,
) -> EtlResult:
    """Run the whole ETL and publish the tables under ``output_dir`` (replacing the previous ones).

    ``data_dir`` and ``output_dir`` are paths or URIs (:class:`animesite.storage.Location`).
    ``shuffle_partitions`` and ``driver_memory`` size the session it starts (settings
    ``SPARK_SHUFFLE_PARTITIONS`` / ``SPARK_DRIVER_MEMORY`` through the commands)."""
    data_dir, output_dir = Location(data_dir), Location(output_dir)
    say = report or logger.info
    result = EtlResult(output_dir=output_dir)
    own_session = spark is None

    with _stage(result, "spark start", say):
        session = spark or spark_session(
            master, shuffle_partitions=shuffle_partitions, driver_memory=driver_memory
        )
    try:
        with _stage(result, "read", say):
            mal_17 = read_mal_2017(session, data_dir).cache()
            mal_20 = read_mal_2020(session, data_dir).cache()
            history, ratings, item_map, info_genres = read_sample(session, data_dir)
            bgmd = read_bgmd(session, data_dir).cache()
            items = read_bangumi_items(session, data_dir).cache()
            arm = read_arm(session, data_dir).cache()
            result.checks.update(
                mal_2017_rows=mal_17.count(),
                mal_2020_rows=mal_20.count(),
                bangumi_items=items.count(),
                bangumi_items_with_mal=items.where(F.col("mal_id").isNotNull()).count(),
                bgmd_subjects=bgmd.count(),
                arm_rows=arm.count(),
            )

        with _stage(result, "join", say):
            joined_items = attach_bgmd(items, bgmd).cache()
            mal = build_mal_catalogue(mal_17, mal_20, info_genres)
            catalogue = build_catalogue(mal, joined_items).cache()
            titles = build_titles(catalogue, joined_items).cache()

        with _stage(result, "franchises and display titles", say):
            policy, franchise_table, groups = build_policy(
                session, catalogue, joined_items, titles, curated=read_curated_english()
            )
            result.checks.update(franchise_checks(groups))

        with _stage(result, "write", say):
            feedback = build_feedback(history, ratings, item_map).cache()
            interactions = (
                feedback.where(F.col("in_history") & F.col("mal_id").isNotNull())
                .dropDuplicates(["dataset_user_id", "mal_id"])
                .select("dataset_user_id", "mal_id", "score")
            )
            tables: dict[str, DataFrame] = {
                "anime": build_anime(catalogue, joined_items, titles, policy),
                "franchises": franchise_table,
                "anime_titles": titles.select("anime_key", "text", "language", "kind", "priority"),
                "anime_genres": build_genres(catalogue),
                "anime_tags": build_tags(catalogue, joined_items),
                "external_ids": build_external_ids(catalogue, joined_items, arm),
                "interactions": interactions,
                "users": interactions.select("dataset_user_id").distinct().orderBy("dataset_user_id"),
            }
            output_dir.mkdir()
            staging = output_dir / f"_staging-{os.getpid()}"
            staging.delete()
            for name, df in tables.items():
                started = time.perf_counter()
                _write(df, staging / name)
                result.timings[f"write {name}"] = round(time.perf_counter() - started, 2)
            unmatched = feedback.agg(
                F.count(F.when(F.col("in_history") & F.col("mal_id").isNull(), 1)).alias("unmapped"),
                F.count(F.when(~F.col("in_history"), 1)).alias("outside"),
            ).first()
            result.checks["interactions_without_mal_id"] = int(unmatched["unmapped"]) if unmatched else 0
            result.checks["ratings_outside_history"] = int(unmatched["outside"]) if unmatched else 0

        with _stage(result, "check and publish", say):
            result.counts.update(_count_tables(staging))
            result.checks.update(_check_tables(staging))
            (output_dir / MANIFEST).delete()
            _publish(staging, output_dir)
            _write_manifest(output_dir, result)
    finally:
        if own_session:
            session.stop()
    return result


HAND_CHECKED_FRANCHISES = Path(__file__).with_name("data") / "franchises_checked.json"


def read_hand_checked(path: Path = HAND_CHECKED_FRANCHISES) -> list[list[str]]:
    """The hand-checked franchises: lists of catalogue keys (``data/franchises_checked.json``)."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    return [[member["key"] for member in franchise["members"]] for franchise in payload["franchises"]]


def franchise_checks(groups: list[franchises.Franchise]) -> dict[str, Any]:
    """Counts of the grouping and its pairwise precision / recall on the hand-checked list (keys
    absent from this catalogue, as in small test inputs, are left out of the measure)."""
    predicted = {key: group.key for group in groups for key in group.members}
    truth = [[k for k in members if k in predicted] for members in read_hand_checked()]
    truth = [members for members in truth if len(members) > 1]
    scores = franchises.pairwise_scores(truth, predicted)
    return {
        "franchises": len(groups),
        "franchises_with_several_entries": sum(1 for g in groups if len(g.members) > 1),
        "hand_checked_franchises": len(truth),
        "franchise_pair_precision": scores["precision"],
        "franchise_pair_recall": scores["recall"],
    }


def _read_table(folder: Location, columns: list[str]) -> Any:
    filesystem, path = folder.filesystem()
    return pq.read_table(path, columns=columns, filesystem=filesystem)


def _count_tables(folder: Location) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in _single(folder):
        filesystem, path = (folder / name).children(".parquet")[0].filesystem()
        with filesystem.open_input_file(path) as handle:
            counts[name] = pq.read_metadata(handle).num_rows
    scores = _read_table(folder / "interactions", ["score"]).column("score")
    counts["scored_interactions"] = len(scores) - scores.null_count
    return counts


def _single(folder: Location) -> list[str]:
    """The output tables, each written as one parquet file."""
    for name in OUTPUT_TABLES:
        if len((folder / name).children(".parquet")) != 1:
            raise RuntimeError(f"ETL table {name} was not written as one parquet file")
    return list(OUTPUT_TABLES)


def _check_tables(folder: Location) -> dict[str, float]:
    """Coverage figures of the written tables (read back with pyarrow: no more Spark jobs)."""
    anime = _read_table(
        folder / "anime", ["mal_id", "aired_from", "cover_url", "synopsis_zh", "year", "source"]
    )
    anime_ids = set(anime.column("mal_id").to_pylist())
    per_year: dict[str, int] = {}
    sources: dict[str, int] = {}
    for mal_id, year, source in zip(
        anime.column("mal_id").to_pylist(),
        anime.column("year").to_pylist(),
        anime.column("source").to_pylist(),
        strict=True,
    ):
        sources[f"anime_from_{source}"] = sources.get(f"anime_from_{source}", 0) + 1
        if year is not None and 2015 <= year <= 2100:
            label = f"anime_{year}_{'with' if mal_id is not None else 'without'}_mal_id"
            per_year[label] = per_year.get(label, 0) + 1
    genre_keys = _read_table(folder / "anime_genres", ["anime_key"]).column("anime_key").to_pylist()
    with_genres = {int(key.split(":", 1)[1]) for key in genre_keys if key.startswith(f"{tf.MAL_KEY}:")}
    interacted = set(_read_table(folder / "interactions", ["mal_id"]).column("mal_id").to_pylist())
    return {
        "interacted_anime": len(interacted),
        "interacted_anime_missing": len(interacted - anime_ids),
        "interacted_anime_without_genres": len(interacted - with_genres),
        "anime_with_air_date": len(anime) - anime.column("aired_from").null_count,
        "anime_with_cover": len(anime) - anime.column("cover_url").null_count,
        "anime_with_synopsis_zh": len(anime) - anime.column("synopsis_zh").null_count,
        "anime_without_mal_id": anime.column("mal_id").null_count,
        **sources,
        **dict(sorted(per_year.items())),
    }


def _publish(staging: Location, output_dir: Location) -> None:
    """Swap the staged tables in (the manifest, written after, marks the output complete)."""
    for name in OUTPUT_TABLES:
        target = output_dir / name
        target.delete()
        (staging / name).move_to(target)
    staging.delete()


def _write_manifest(output_dir: Location, result: EtlResult) -> None:
    payload = {"tables": list(OUTPUT_TABLES), **result.as_dict(), "written_at": time.time()}
    tmp = output_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))
    (output_dir / MANIFEST).delete()
    tmp.move_to(output_dir / MANIFEST)
