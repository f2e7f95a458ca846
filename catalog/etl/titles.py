"""Titles of the catalogue and the display-title policy: every name of every anime in every
script (``build_titles``), the first title per language, and the policy that picks what each UI
language shows (``build_policy``; the rules are ``catalog.etl.display``)."""

from __future__ import annotations

import csv
from functools import partial
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)

from catalog.etl import display, franchises
from catalog.etl import transforms as tf
from catalog.etl.udfs import (
    alias_language,
    bangumi_language,
    casually_cased,
    clean_title,
    title_key,
)


def build_titles(catalogue: DataFrame, items: DataFrame) -> DataFrame:
    """Every name of every catalogue anime, one row per (mal_id, text, language)."""
    cols = ["anime_key", "text", "language", "kind", "priority", "item_rank", "pos"]

    main = catalogue.select(
        "anime_key",
        F.col("title").alias("text"),
        F.col("title_language").alias("language"),
        F.lit("main").alias("kind"),
        F.lit(0).alias("priority"),
        F.lit(0).alias("item_rank"),
        F.lit(0).alias("pos"),
    )
    synonym = catalogue.where(F.col("name_17").isNotNull() & (F.col("name_17") != F.col("title"))).select(
        "anime_key",
        F.col("name_17").alias("text"),
        F.lit(tf.ROMAJI).alias("language"),
        F.lit("synonym").alias("kind"),
        F.lit(50).alias("priority"),
        F.lit(0).alias("item_rank"),
        F.lit(0).alias("pos"),
    )
    original = items.select(
        "anime_key",
        F.col("bd_title").alias("text"),
        F.col("bd_language").alias("language"),
        F.lit("official").alias("kind"),
        F.lit(10).alias("priority"),
        "item_rank",
        F.lit(0).alias("pos"),
    )
    translated = (
        items.select("anime_key", "item_rank", F.explode("titleTranslate").alias("lang", "texts"))
        .select("anime_key", "item_rank", "lang", F.posexplode("texts").alias("pos", "text"))
        .select(
            "anime_key",
            "text",
            bangumi_language("lang").alias("language"),
            F.lit("official").alias("kind"),
            F.lit(20).alias("priority"),
            "item_rank",
            "pos",
        )
    )
    bgm_name = items.select(
        "anime_key",
        F.col("bgm_name").alias("text"),
        F.col("bd_language").alias("language"),
        F.lit("official").alias("kind"),
        F.lit(30).alias("priority"),
        "item_rank",
        F.lit(0).alias("pos"),
    )
    bgm_name_cn = items.select(
        "anime_key",
        F.col("bgm_name_cn").alias("text"),
        F.lit(tf.ZH_HANS).alias("language"),
        F.lit("official").alias("kind"),
        F.lit(31).alias("priority"),
        "item_rank",
        F.lit(0).alias("pos"),
    )
    curated_rows = [(key, text) for key, texts in read_curated_english().items() for text in texts]
    curated = (
        catalogue.sparkSession.createDataFrame(
            curated_rows,
            StructType([StructField("anime_key", StringType()), StructField("text", StringType())]),
        )
        .join(catalogue.select("anime_key"), "anime_key", "left_semi")
        .select(
            "anime_key",
            "text",
            F.lit(tf.ENGLISH).alias("language"),
            F.lit("official").alias("kind"),
            F.lit(5).alias("priority"),
            F.lit(0).alias("item_rank"),
            F.lit(0).alias("pos"),
        )
    )
    known = main.unionByName(synonym).unionByName(original).unionByName(translated).unionByName(curated)
    known = known.unionByName(bgm_name).unionByName(bgm_name_cn)
    known = known.withColumn("text", clean_title("text")).where(F.col("text").isNotNull())

    family = known.groupBy("anime_key").agg(
        F.collect_set(F.when(F.col("language") == tf.JAPANESE, F.col("text"))).alias("ja_titles"),
        F.collect_set(F.when(F.col("language") == tf.ZH_HANT, F.col("text"))).alias("hant_titles"),
    )
    aliases = (
        items.select("anime_key", "item_rank", F.posexplode("bgm_alias").alias("pos", "text"))
        .withColumn("text", clean_title("text"))
        .where(F.col("text").isNotNull())
        .join(family, "anime_key", "left")
        .select(
            "anime_key",
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
    titles = titles.join(catalogue.select("anime_key"), "anime_key", "left_semi")
    # One row per spelling; a correctly cased spelling wins over one typed in lower case.
    first = Window.partitionBy("anime_key", "key", "language").orderBy(
        "casual", "priority", "item_rank", "pos"
    )
    return (
        titles.withColumn("key", title_key("text"))
        .withColumn("casual", casually_cased("text"))
        .withColumn("n", F.row_number().over(first))
        .where(F.col("n") == 1)
        .drop("n", "key", "casual")
    )


def first_titles(titles: DataFrame) -> DataFrame:
    """The first title in each display language (en, ja, zh-Hans, zh-Hant) per anime."""
    order = F.struct("priority", "item_rank", "pos")
    languages: list[bool | float | int | str] = [tf.ENGLISH, tf.JAPANESE, tf.ZH_HANS, tf.ZH_HANT]
    pivot = (
        titles.where(F.col("language").isin(languages))
        .groupBy("anime_key")
        .pivot("language", languages)
        .agg(F.min_by("text", order))
    )
    return pivot.select(
        "anime_key",
        F.col(f"`{tf.ENGLISH}`").alias("title_en"),
        F.col(f"`{tf.JAPANESE}`").alias("title_ja"),
        F.col(f"`{tf.ZH_HANS}`").alias("title_zh_hans"),
        F.col(f"`{tf.ZH_HANT}`").alias("title_zh_hant"),
    )


CURATED_ENGLISH_TITLES = Path(__file__).with_name("data") / "english_titles.csv"

POLICY_SCHEMA = StructType(
    [
        StructField("anime_key", StringType(), False),
        StructField("display_en", StringType(), False),
        StructField("display_zh", StringType(), False),
        StructField("franchise_key", StringType(), False),
        StructField("franchise_position", IntegerType(), False),
    ]
)
FRANCHISE_SCHEMA = StructType(
    [
        StructField("franchise_key", StringType(), False),
        StructField("name_en", StringType(), False),
        StructField("name_zh", StringType(), False),
        StructField("size", IntegerType(), False),
    ]
)


def read_curated_english(path: Path = CURATED_ENGLISH_TITLES) -> dict[str, list[str]]:
    """``{anime_key: [English title]}`` from the curated file (official titles no source carries)."""
    if not path.is_file():
        return {}
    curated: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key, title = (row.get("anime_key") or "").strip(), tf.clean_text(row.get("title_en"))
            if key and title:
                curated.setdefault(key, []).append(title)
    return curated


def _titles_of(
    names: list[tuple[int, int, int, str, str, str]],
    *,
    language: str,
    kinds: tuple[str, ...] = (),
    priorities: tuple[int, ...] = (),
) -> list[str]:
    """Texts of ``names`` (priority, item rank, position, text, language, kind) in one language."""
    return [
        text
        for priority, _rank, _pos, text, lang, kind in names
        if lang == language and (not kinds or kind in kinds) and (not priorities or priority in priorities)
    ]


def _policy_inputs(
    catalogue: DataFrame, items: DataFrame, titles: DataFrame, curated: dict[str, list[str]]
) -> tuple[list[franchises.FranchiseInput], dict[str, display.TitleCandidates]]:
    """What the franchise and display-title rules need: one row per anime with its names gathered
    by Spark (sorted by ``(priority, item_rank, pos, text, language, kind)``, the order the rules
    read them in), streamed to the driver partition by partition (``toLocalIterator``): the
    driver never holds the title table, only one small record per anime, which the grouping
    (a clustering over the whole catalogue) needs."""
    names = titles.groupBy("anime_key").agg(
        F.collect_list(F.struct("priority", "item_rank", "pos", "text", "language", "kind")).alias("names")
    )
    base = (
        catalogue.join(
            items.where(F.col("item_rank") == 1).select(
                "anime_key", "aired_from", "bd_type", "tmdb_type", "tmdb_id"
            ),
            "anime_key",
            "left",
        )
        .join(names, "anime_key", "left")
        .select(
            "anime_key",
            "title",
            "aired_from",
            F.coalesce("mal_type", "bd_type").alias("type"),
            "tmdb_type",
            "tmdb_id",
            "names",
        )
    )
    inputs: list[franchises.FranchiseInput] = []
    candidates: dict[str, display.TitleCandidates] = {}
    for row in base.toLocalIterator():
        key = row["anime_key"]
        own = [
            (n["priority"], n["item_rank"], n["pos"], n["text"], n["language"], n["kind"])
            for n in row["names"] or []
        ]
        texts = partial(_titles_of, sorted(own))

        aired = row["aired_from"]
        tmdb = (row["tmdb_type"] or "", int(row["tmdb_id"])) if row["tmdb_id"] else None
        inputs.append(
            franchises.FranchiseInput(
                key=key,
                aired_from=aired.isoformat() if aired else None,
                tmdb=tmdb,
                latin_titles=texts(language=tf.ROMAJI, kinds=("main", "synonym")),
                japanese_titles=texts(language=tf.JAPANESE, priorities=(0, 10, 30)),
                chinese_titles=texts(language=tf.ZH_HANS, priorities=(31,)),
            )
        )
        candidates[key] = display.TitleCandidates(
            key=key,
            main=row["title"],
            aired_from_year=aired.year if aired else None,
            type=row["type"],
            curated_en=curated.get(key, []),
            official_en=texts(language=tf.ENGLISH, kinds=("official",)),
            alias_en=texts(language=tf.ENGLISH, kinds=("alias",)),
            name_cn=texts(language=tf.ZH_HANS, priorities=(31,)),
            official_zh_hans=texts(language=tf.ZH_HANS, priorities=(20,)),
            official_zh_hant=texts(language=tf.ZH_HANT, kinds=("official",)),
            japanese=texts(language=tf.JAPANESE, kinds=("official",)),
        )
    # One fixed order, whatever the partitioning.
    inputs.sort(key=lambda item: item.key)
    return inputs, candidates


def build_policy(
    spark: SparkSession,
    catalogue: DataFrame,
    items: DataFrame,
    titles: DataFrame,
    *,
    curated: dict[str, list[str]],
) -> tuple[DataFrame, DataFrame, list[franchises.Franchise]]:
    """Franchises (``catalog.etl.franchises``) and display titles (``catalog.etl.display``),
    computed on the driver from the collected titles: ``(per-anime policy, franchises, groups)``."""
    inputs, candidates = _policy_inputs(catalogue, items, titles, curated)
    groups = franchises.group_franchises(inputs)
    policy_rows: list[tuple[str, str, str, str, int]] = []
    franchise_rows: list[tuple[str, str, str, int]] = []
    for group in groups:
        shown = display.display_titles([candidates[k] for k in group.members])
        for position, key in enumerate(group.members):
            policy_rows.append((key, shown[key][0], shown[key][1], group.key, position))
        head = shown[group.members[0]]
        franchise_rows.append((group.key, head[0], head[1], len(group.members)))
    return (
        spark.createDataFrame(policy_rows, POLICY_SCHEMA),
        spark.createDataFrame(franchise_rows, FRANCHISE_SCHEMA),
        groups,
    )
