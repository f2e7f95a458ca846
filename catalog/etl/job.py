"""The catalogue ETL: raw anime files -> cleaned, joined parquet tables keyed by MyAnimeList id.

Inputs (``DATA_DIR``, described in its README): two MyAnimeList snapshots (2017 and 2020), the
CooperUnion 5,000-user sample (history, ratings, item table, item -> MAL id map), bangumi-data,
bangumi.tv subjects (bgmd, joined through bangumi-data's ``sites[site=bangumi]``) and the ARM id map.

Outputs (``ETL_OUTPUT_DIR``): one parquet folder per table in ``OUTPUT_TABLES`` and a
``manifest.json`` with counts and timings, written last: a folder without a manifest is incomplete.

Every cleaning rule is a pure function of ``catalog.etl.transforms``; the job wraps them as Spark
UDFs and does the joins, deduplication and windowing in Spark.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, StringType

from animesite.spark import spark_session as _spark_session
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
from catalog.etl.udfs import (
    alias_language,
    bangumi_language,
    clean_tag,
    clean_text,
    clean_title,
    season_of_date,
    title_key,
)

logger = logging.getLogger(__name__)


def spark_session(
    master: str = "local[2]", app_name: str = "animesite-catalog-etl", *, shuffle_partitions: int = 4
) -> SparkSession:
    """The ETL's Spark session (``animesite.spark.spark_session``); whole-stage code generation
    is off: compiling it costs more than it saves on tables this small."""
    return _spark_session(
        master,
        app_name,
        shuffle_partitions=shuffle_partitions,
        config={"spark.sql.codegen.wholeStage": "false"},
    )


__all__ = ["run_etl", "spark_session"]


# --- result --------------------------------------------------------------------------------


@dataclass
class EtlResult:
    output_dir: Path
    counts: dict[str, int] = field(default_factory=dict)
    checks: dict[str, int] = field(default_factory=dict)
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


def build_catalogue(mal_17: DataFrame, mal_20: DataFrame, info_genres: DataFrame) -> DataFrame:
    """Union of both MAL snapshots: 2020 values where present, 2017 values otherwise."""
    joined = mal_20.join(mal_17, "mal_id", "full_outer").join(info_genres, "mal_id", "left")
    genres = (
        F.when(F.size("genres_20") > 0, F.col("genres_20"))
        .when(F.size("genres_17") > 0, F.col("genres_17"))
        .when(F.size("genres_info") > 0, F.col("genres_info"))
        .otherwise(F.array().cast(ArrayType(StringType())))
    )
    return joined.select(
        "mal_id",
        F.coalesce("name_20", "name_17").alias("title"),
        "name_17",
        F.coalesce("type_20", "type_17").alias("mal_type"),
        F.coalesce("episodes_20", "episodes_17").alias("episodes"),
        F.coalesce("score_20", "score_17").alias("score"),
        F.coalesce("members_20", "members_17", F.lit(0)).alias("members"),
        genres.alias("genres"),
    ).where(F.col("title").isNotNull())


def attach_bgmd(items: DataFrame, bgmd: DataFrame) -> DataFrame:
    """bangumi-data items joined to their bangumi.tv subject, ranked per MAL id (earliest first)."""
    joined = items.join(bgmd, items["bangumi_id"] == bgmd["bgm_id"], "left").withColumn(
        "aired_from", F.coalesce("begin_date", "bgm_air_date")
    )
    rank = Window.partitionBy("mal_id").orderBy(F.col("aired_from").asc_nulls_last(), "item_idx")
    return joined.withColumn("item_rank", F.row_number().over(rank))


def build_titles(catalogue: DataFrame, items: DataFrame) -> DataFrame:
    """Every name of every catalogue anime, one row per (mal_id, text, language)."""
    cols = ["mal_id", "text", "language", "kind", "priority", "item_rank", "pos"]

    main = catalogue.select(
        "mal_id",
        F.col("title").alias("text"),
        F.lit(tf.ROMAJI).alias("language"),
        F.lit("main").alias("kind"),
        F.lit(0).alias("priority"),
        F.lit(0).alias("item_rank"),
        F.lit(0).alias("pos"),
    )
    synonym = catalogue.where(F.col("name_17").isNotNull() & (F.col("name_17") != F.col("title"))).select(
        "mal_id",
        F.col("name_17").alias("text"),
        F.lit(tf.ROMAJI).alias("language"),
        F.lit("synonym").alias("kind"),
        F.lit(50).alias("priority"),
        F.lit(0).alias("item_rank"),
        F.lit(0).alias("pos"),
    )
    original = items.select(
        "mal_id",
        F.col("bd_title").alias("text"),
        F.col("bd_language").alias("language"),
        F.lit("official").alias("kind"),
        F.lit(10).alias("priority"),
        "item_rank",
        F.lit(0).alias("pos"),
    )
    translated = (
        items.select("mal_id", "item_rank", F.explode("titleTranslate").alias("lang", "texts"))
        .select("mal_id", "item_rank", "lang", F.posexplode("texts").alias("pos", "text"))
        .select(
            "mal_id",
            "text",
            bangumi_language("lang").alias("language"),
            F.lit("official").alias("kind"),
            F.lit(20).alias("priority"),
            "item_rank",
            "pos",
        )
    )
    bgm_name = items.select(
        "mal_id",
        F.col("bgm_name").alias("text"),
        F.col("bd_language").alias("language"),
        F.lit("official").alias("kind"),
        F.lit(30).alias("priority"),
        "item_rank",
        F.lit(0).alias("pos"),
    )
    bgm_name_cn = items.select(
        "mal_id",
        F.col("bgm_name_cn").alias("text"),
        F.lit(tf.ZH_HANS).alias("language"),
        F.lit("official").alias("kind"),
        F.lit(31).alias("priority"),
        "item_rank",
        F.lit(0).alias("pos"),
    )
    known = main.unionByName(synonym).unionByName(original).unionByName(translated)
    known = known.unionByName(bgm_name).unionByName(bgm_name_cn)
    known = known.withColumn("text", clean_title("text")).where(F.col("text").isNotNull())

    family = known.groupBy("mal_id").agg(
        F.collect_set(F.when(F.col("language") == tf.JAPANESE, F.col("text"))).alias("ja_titles"),
        F.collect_set(F.when(F.col("language") == tf.ZH_HANT, F.col("text"))).alias("hant_titles"),
    )
    aliases = (
        items.select("mal_id", "item_rank", F.posexplode("bgm_alias").alias("pos", "text"))
        .withColumn("text", clean_title("text"))
        .where(F.col("text").isNotNull())
        .join(family, "mal_id", "left")
        .select(
            "mal_id",
            "text",
            alias_language(
                "text",
                F.coalesce("ja_titles", F.array().cast(ArrayType(StringType()))),
                F.coalesce("hant_titles", F.array().cast(ArrayType(StringType()))),
            ).alias("language"),
            F.lit("alias").alias("kind"),
            F.lit(60).alias("priority"),
            "item_rank",
            "pos",
        )
    )
    titles = known.select(*cols).unionByName(aliases.select(*cols))
    titles = titles.join(catalogue.select("mal_id"), "mal_id", "left_semi")
    first = Window.partitionBy("mal_id", "key", "language").orderBy("priority", "item_rank", "pos")
    return (
        titles.withColumn("key", title_key("text"))
        .withColumn("n", F.row_number().over(first))
        .where(F.col("n") == 1)
        .drop("n", "key")
    )


def display_titles(titles: DataFrame) -> DataFrame:
    """The first title in each display language (en, ja, zh-Hans, zh-Hant) per anime."""
    order = F.struct("priority", "item_rank", "pos")
    languages: list[bool | float | int | str] = [tf.ENGLISH, tf.JAPANESE, tf.ZH_HANS, tf.ZH_HANT]
    pivot = (
        titles.where(F.col("language").isin(languages))
        .groupBy("mal_id")
        .pivot("language", languages)
        .agg(F.min_by("text", order))
    )
    return pivot.select(
        "mal_id",
        F.col(f"`{tf.ENGLISH}`").alias("title_en"),
        F.col(f"`{tf.JAPANESE}`").alias("title_ja"),
        F.col(f"`{tf.ZH_HANS}`").alias("title_zh_hans"),
        F.col(f"`{tf.ZH_HANT}`").alias("title_zh_hant"),
    )


def build_anime(catalogue: DataFrame, items: DataFrame, titles: DataFrame) -> DataFrame:
    primary = items.where(F.col("item_rank") == 1).select(
        "mal_id",
        "bd_type",
        "aired_from",
        F.col("end_date").alias("aired_to"),
        F.coalesce("bgm_summary", "tmdb_overview").alias("synopsis_zh"),
        F.col("bgm_cover").alias("cover_url"),
        "official_site",
    )
    return (
        catalogue.join(primary, "mal_id", "left")
        .join(display_titles(titles), "mal_id", "left")
        .select(
            "mal_id",
            "title",
            "title_en",
            "title_ja",
            "title_zh_hans",
            "title_zh_hant",
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
        )
    )


def build_genres(catalogue: DataFrame) -> DataFrame:
    return catalogue.select("mal_id", F.posexplode("genres").alias("position", "genre"))


def build_tags(catalogue: DataFrame, items: DataFrame) -> DataFrame:
    """bangumi.tv tags per anime; one spelling per tag across the catalogue."""
    raw = (
        items.select("mal_id", "item_rank", F.posexplode("bgm_tags").alias("pos", "tag"))
        .withColumn("tag", clean_tag("tag"))
        .where(F.col("tag").isNotNull())
        .join(catalogue.select("mal_id"), "mal_id", "left_semi")
        .withColumn("key", title_key("tag"))
    )
    canonical = raw.groupBy("key").agg(F.min("tag").alias("canonical"))
    first = Window.partitionBy("mal_id", "key").orderBy("item_rank", "pos")
    return (
        raw.join(canonical, "key")
        .withColumn("n", F.row_number().over(first))
        .where(F.col("n") == 1)
        .select("mal_id", F.col("canonical").alias("tag"), F.col("pos").alias("position"))
    )


def build_external_ids(catalogue: DataFrame, items: DataFrame, arm: DataFrame) -> DataFrame:
    """MAL, every bangumi-data site, and the ARM map's sites that bangumi-data lacks for the anime."""
    mal = catalogue.select(
        "mal_id", F.lit("mal").alias("site"), F.col("mal_id").cast("string").alias("external_id")
    )
    sites = items.select("mal_id", F.explode("sites").alias("s")).select(
        "mal_id", clean_text("s.site").alias("site"), clean_text("s.id").alias("external_id")
    )
    from_sites = mal.unionByName(sites).where(F.col("site").isNotNull() & F.col("external_id").isNotNull())
    arm_rows = arm.select(
        F.col("mal_id").cast("int").alias("mal_id"),
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
    ).select("mal_id", "e.site", "e.external_id")
    arm_rows = arm_rows.where(F.col("external_id").isNotNull()).join(
        from_sites.select("mal_id", "site").distinct(), ["mal_id", "site"], "left_anti"
    )
    return (
        from_sites.unionByName(arm_rows)
        .where((F.length("site") <= 32) & (F.length("external_id") <= 64))
        .join(catalogue.select("mal_id"), "mal_id", "left_semi")
        .dropDuplicates(["mal_id", "site", "external_id"])
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


def _write(df: DataFrame, path: Path) -> None:
    df.coalesce(1).write.mode("overwrite").parquet(str(path))


def run_etl(
    *,
    data_dir: Path | str,
    output_dir: Path | str,
    master: str = "local[2]",
    spark: SparkSession | None = None,
    report: Callable[[str], None] | None = None,
) -> EtlResult:
    """Run the whole ETL and publish the tables under ``output_dir`` (replacing the previous ones)."""
    data_dir, output_dir = Path(data_dir), Path(output_dir)
    say = report or logger.info
    result = EtlResult(output_dir=output_dir)
    own_session = spark is None

    with _stage(result, "spark start", say):
        session = spark or spark_session(master)
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
                bangumi_items_with_mal=items.count(),
                bgmd_subjects=bgmd.count(),
                arm_rows=arm.count(),
            )

        with _stage(result, "join and write", say):
            catalogue = build_catalogue(mal_17, mal_20, info_genres).cache()
            joined_items = attach_bgmd(items, bgmd).join(catalogue.select("mal_id"), "mal_id", "left_semi")
            joined_items = joined_items.cache()
            titles = build_titles(catalogue, joined_items).cache()
            feedback = build_feedback(history, ratings, item_map).cache()
            interactions = (
                feedback.where(F.col("in_history") & F.col("mal_id").isNotNull())
                .dropDuplicates(["dataset_user_id", "mal_id"])
                .select("dataset_user_id", "mal_id", "score")
            )
            tables: dict[str, DataFrame] = {
                "anime": build_anime(catalogue, joined_items, titles),
                "anime_titles": titles.select("mal_id", "text", "language", "kind", "priority"),
                "anime_genres": build_genres(catalogue),
                "anime_tags": build_tags(catalogue, joined_items),
                "external_ids": build_external_ids(catalogue, joined_items, arm),
                "interactions": interactions,
                "users": interactions.select("dataset_user_id").distinct().orderBy("dataset_user_id"),
            }
            output_dir.mkdir(parents=True, exist_ok=True)
            staging = output_dir / f"_staging-{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
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
            (output_dir / MANIFEST).unlink(missing_ok=True)
            _publish(staging, output_dir)
            _write_manifest(output_dir, result)
    finally:
        if own_session:
            session.stop()
    return result


def _count_tables(folder: Path) -> dict[str, int]:
    counts = {
        name: pq.read_metadata(next((folder / name).glob("*.parquet"))).num_rows for name in _single(folder)
    }
    scores = pq.read_table(folder / "interactions", columns=["score"]).column("score")
    counts["scored_interactions"] = len(scores) - scores.null_count
    return counts


def _single(folder: Path) -> list[str]:
    """The output tables, each written as one parquet file."""
    for name in OUTPUT_TABLES:
        if len(list((folder / name).glob("*.parquet"))) != 1:
            raise RuntimeError(f"ETL table {name} was not written as one parquet file")
    return list(OUTPUT_TABLES)


def _check_tables(folder: Path) -> dict[str, int]:
    """Coverage figures of the written tables (read back with pyarrow: no more Spark jobs)."""
    anime = pq.read_table(folder / "anime", columns=["mal_id", "aired_from", "cover_url", "synopsis_zh"])
    anime_ids = set(anime.column("mal_id").to_pylist())
    with_genres = set(pq.read_table(folder / "anime_genres", columns=["mal_id"]).column("mal_id").to_pylist())
    interacted = set(pq.read_table(folder / "interactions", columns=["mal_id"]).column("mal_id").to_pylist())
    return {
        "interacted_anime": len(interacted),
        "interacted_anime_missing": len(interacted - anime_ids),
        "interacted_anime_without_genres": len(interacted - with_genres),
        "anime_with_air_date": len(anime) - anime.column("aired_from").null_count,
        "anime_with_cover": len(anime) - anime.column("cover_url").null_count,
        "anime_with_synopsis_zh": len(anime) - anime.column("synopsis_zh").null_count,
    }


def _publish(staging: Path, output_dir: Path) -> None:
    """Swap the staged tables in (the manifest, written after, marks the output complete)."""
    for name in OUTPUT_TABLES:
        target = output_dir / name
        shutil.rmtree(target, ignore_errors=True)
        (staging / name).rename(target)
    shutil.rmtree(staging, ignore_errors=True)


def _write_manifest(output_dir: Path, result: EtlResult) -> None:
    payload = {"tables": list(OUTPUT_TABLES), **result.as_dict(), "written_at": time.time()}
    tmp = output_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))
    tmp.replace(output_dir / MANIFEST)
