"""Reading the raw data files into Spark data frames (one reader per source)."""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from animesite.storage import Location
from catalog.etl import schemas
from catalog.etl.udfs import (
    anime_key,
    bangumi_language,
    broadcast_period,
    broadcast_start,
    clean_paragraphs,
    clean_text,
    clean_url,
    normalize_type,
    parse_air_date,
    parse_episodes,
    parse_float,
    parse_int,
    pick_cover,
    split_genres,
    valid_score,
)

# ARM id map column -> external site name (bangumi-data's spelling where it has the site).
ARM_SITES = (("aniList", "anilist_id"), ("annict", "annict_id"), ("syobocal", "syobocal_tid"))


def _read_csv(spark: SparkSession, path: Location, schema: Any, *, sep: str = ",") -> DataFrame:
    reader = spark.read.schema(schema).option("header", True).option("sep", sep).option("encoding", "UTF-8")
    # Tab-separated files are not quoted; CSV files double their quotes (RFC 4180).
    quoting = {"quote": ""} if sep == "\t" else {"quote": '"', "escape": '"'}
    return reader.options(**quoting).csv(str(path))


def _read_json(spark: SparkSession, path: Location, schema: Any) -> DataFrame:
    return spark.read.schema(schema).option("multiLine", True).option("encoding", "UTF-8").json(str(path))


def _first_site_id(sites: str, site: str) -> Column:
    return F.try_element_at(F.filter(sites, lambda s: s["site"] == site), F.lit(1))["id"]


def read_mal_2017(spark: SparkSession, data_dir: Location) -> DataFrame:
    raw = _read_csv(spark, data_dir / "mal_2017_anime.csv", schemas.MAL_2017)
    return (
        raw.where(F.col("anime_id").isNotNull())
        .select(
            F.col("anime_id").alias("mal_id"),
            clean_text("name").alias("name_17"),
            split_genres("genre").alias("genres_17"),
            normalize_type("type").alias("type_17"),
            parse_episodes("episodes").alias("episodes_17"),
            parse_float("rating").alias("score_17"),
            parse_int("members").alias("members_17"),
        )
        .dropDuplicates(["mal_id"])
    )


def read_mal_2020(spark: SparkSession, data_dir: Location) -> DataFrame:
    raw = _read_csv(spark, data_dir / "mal_2020_anime.csv", schemas.MAL_2020)
    return (
        raw.where(F.col("anime_id").isNotNull())
        .select(
            F.col("anime_id").alias("mal_id"),
            clean_text("Name").alias("name_20"),
            split_genres("Genres").alias("genres_20"),
            normalize_type("Type").alias("type_20"),
            parse_episodes("Episodes").alias("episodes_20"),
            parse_float("Score").alias("score_20"),
            parse_int("Members").alias("members_20"),
        )
        .dropDuplicates(["mal_id"])
    )


def read_sample(spark: SparkSession, data_dir: Location) -> tuple[DataFrame, DataFrame, DataFrame, DataFrame]:
    """The CooperUnion sample: (history, ratings, item -> MAL id map, sample item genres by MAL id)."""
    sample = data_dir / "cooperunion_sample"
    history = _read_csv(spark, sample / "anime_history.dat", schemas.FEEDBACK, sep="\t").select(
        F.col("User_ID").alias("dataset_user_id"), F.col("Anime_ID").alias("item_id")
    )
    ratings = _read_csv(spark, sample / "anime_ratings.dat", schemas.FEEDBACK, sep="\t").select(
        F.col("User_ID").alias("dataset_user_id"),
        F.col("Anime_ID").alias("item_id"),
        valid_score("Feedback").alias("score"),
    )
    item_map = (
        _read_csv(spark, sample / "item_to_mal_id.csv", schemas.ITEM_TO_MAL)
        .where(F.col("caserec_item_id").isNotNull() & F.col("mal_anime_id").isNotNull())
        .select(F.col("caserec_item_id").alias("item_id"), F.col("mal_anime_id").alias("mal_id"))
        .dropDuplicates(["item_id"])
    )
    info = _read_csv(spark, sample / "anime_info.dat", schemas.SAMPLE_INFO, sep="\t")
    info_genres = (
        info.select(F.col("anime_ids").alias("item_id"), split_genres("genre").alias("genres_info"))
        .join(item_map, "item_id")
        .select("mal_id", "genres_info")
        .dropDuplicates(["mal_id"])
    )
    return history, ratings, item_map, info_genres


def read_bangumi_items(spark: SparkSession, data_dir: Location) -> DataFrame:
    """Every bangumi-data item with its catalogue key (see ``transforms.anime_key``), its MAL and
    bangumi.tv ids, JST dates and weekly broadcast."""
    raw = _read_json(spark, data_dir / "bangumi_data.json", schemas.BANGUMI_DATA)
    items = raw.select(F.posexplode("items").alias("item_idx", "item")).select("item_idx", "item.*")
    with_ids = items.withColumn("mal_id", _first_site_id("sites", "mal").try_cast("int")).withColumn(
        "bangumi_id", _first_site_id("sites", "bangumi").try_cast("long")
    )
    return with_ids.select(
        "item_idx",
        anime_key("mal_id", "bangumi_id", "title", "begin").alias("anime_key"),
        "mal_id",
        "bangumi_id",
        F.col("title").alias("bd_title"),
        bangumi_language("lang").alias("bd_language"),
        "titleTranslate",
        "sites",
        normalize_type("type").alias("bd_type"),
        clean_url("officialSite").alias("official_site"),
        parse_air_date("begin").alias("begin_date"),
        parse_air_date("end").alias("end_date"),
        broadcast_start("broadcast").alias("broadcast_start"),
        broadcast_period("broadcast").alias("broadcast_period_days"),
    ).where(F.col("anime_key").isNotNull())


def read_bgmd(spark: SparkSession, data_dir: Location) -> DataFrame:
    raw = _read_json(spark, data_dir / "bgmd_full.json", schemas.BGMD)
    subjects = raw.select(F.explode("bangumis").alias("s")).select("s.*")
    return subjects.where(F.col("id").isNotNull()).select(
        F.col("id").alias("bgm_id"),
        F.col("name").alias("bgm_name"),
        F.col("alias").alias("bgm_alias"),
        clean_paragraphs("summary").alias("bgm_summary"),
        parse_air_date("air_date").alias("bgm_air_date"),
        F.col("bangumi.name_cn").alias("bgm_name_cn"),
        pick_cover("bangumi.images").alias("bgm_cover"),
        F.col("bangumi.tags").alias("bgm_tags"),
        clean_paragraphs("tmdb.overview").alias("tmdb_overview"),
        F.col("tmdb.id").alias("tmdb_id"),
        F.lower(F.coalesce(F.col("tmdb.type"), F.lit(""))).alias("tmdb_type"),
    )


def read_arm(spark: SparkSession, data_dir: Location) -> DataFrame:
    return _read_json(spark, data_dir / "arm_id_map.json", schemas.ARM_ID_MAP).where(
        F.col("mal_id").isNotNull()
    )
