"""Explicit schemas of the raw input files (nothing is inferred)."""

from __future__ import annotations

from pyspark.sql.types import (
    ArrayType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
)


def _strings(*names: str) -> list[StructField]:
    return [StructField(name, StringType(), True) for name in names]


# mal_2017_anime.csv: anime_id,name,genre,type,episodes,rating,members
MAL_2017 = StructType(
    [
        StructField("anime_id", IntegerType(), True),
        *_strings("name", "genre", "type", "episodes", "rating", "members"),
    ]
)

# mal_2020_anime.csv: anime_id,Name,Score,Genres,Type,Episodes,Members
MAL_2020 = StructType(
    [
        StructField("anime_id", IntegerType(), True),
        *_strings("Name", "Score", "Genres", "Type", "Episodes", "Members"),
    ]
)

# cooperunion_sample/anime_history.dat and anime_ratings.dat (tab-separated).
FEEDBACK = StructType(
    [
        StructField("User_ID", IntegerType(), True),
        StructField("Anime_ID", IntegerType(), True),
        StructField("Feedback", IntegerType(), True),
    ]
)

# cooperunion_sample/anime_info.dat: anime_ids name genre type episodes rating members (tab-separated).
SAMPLE_INFO = StructType(
    [
        StructField("anime_ids", IntegerType(), True),
        *_strings("name", "genre", "type", "episodes", "rating", "members"),
    ]
)

# cooperunion_sample/item_to_mal_id.csv: caserec_item_id,mal_anime_id
ITEM_TO_MAL = StructType(
    [
        StructField("caserec_item_id", IntegerType(), True),
        StructField("mal_anime_id", IntegerType(), True),
    ]
)

_SITE = StructType(_strings("site", "id"))

BANGUMI_DATA_ITEM = StructType(
    [
        *_strings("title", "type", "lang", "officialSite", "begin", "end", "broadcast"),
        StructField("titleTranslate", MapType(StringType(), ArrayType(StringType())), True),
        StructField("sites", ArrayType(_SITE), True),
    ]
)
# bangumi_data.json: {"siteMeta": {...}, "items": [...]}
BANGUMI_DATA = StructType([StructField("items", ArrayType(BANGUMI_DATA_ITEM), True)])

BGMD_SUBJECT = StructType(
    [
        StructField("id", LongType(), True),
        *_strings("name", "summary", "type", "air_date"),
        StructField("alias", ArrayType(StringType()), True),
        StructField(
            "bangumi",
            StructType(
                [
                    StructField("id", LongType(), True),
                    StructField("name_cn", StringType(), True),
                    StructField("images", MapType(StringType(), StringType()), True),
                    StructField("tags", ArrayType(StringType()), True),
                ]
            ),
            True,
        ),
        StructField(
            "tmdb",
            StructType(
                [StructField("id", LongType(), True), *_strings("name", "original_name", "overview", "type")]
            ),
            True,
        ),
    ]
)
# bgmd_full.json: {"bangumis": [...]}
BGMD = StructType([StructField("bangumis", ArrayType(BGMD_SUBJECT), True)])

# arm_id_map.json: [{mal_id, anilist_id, annict_id, syobocal_tid}, ...]
ARM_ID_MAP = StructType(
    [
        StructField("mal_id", LongType(), True),
        StructField("anilist_id", LongType(), True),
        StructField("annict_id", LongType(), True),
        StructField("syobocal_tid", LongType(), True),
    ]
)
