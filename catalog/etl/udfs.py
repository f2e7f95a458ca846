"""The pure transforms of ``catalog.etl.transforms`` wrapped as Spark UDFs."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DateType,
    DoubleType,
    IntegerType,
    StringType,
    TimestampType,
)

from catalog.etl import display, seasons
from catalog.etl import transforms as tf

clean_text = F.udf(tf.clean_text, StringType(), useArrow=False)
clean_paragraphs = F.udf(tf.clean_paragraphs, StringType(), useArrow=False)
clean_title = F.udf(tf.clean_title, StringType(), useArrow=False)
clean_url = F.udf(tf.clean_url, StringType(), useArrow=False)
parse_int = F.udf(tf.parse_int, IntegerType(), useArrow=False)
parse_float = F.udf(tf.parse_float, DoubleType(), useArrow=False)
parse_episodes = F.udf(tf.parse_episodes, IntegerType(), useArrow=False)
normalize_type = F.udf(tf.normalize_type, StringType(), useArrow=False)
split_genres = F.udf(tf.split_genres, ArrayType(StringType()), useArrow=False)
parse_air_date = F.udf(tf.parse_air_date, DateType(), useArrow=False)
season_of_date = F.udf(tf.season_of_date, StringType(), useArrow=False)
pick_cover = F.udf(tf.pick_cover, StringType(), useArrow=False)
bangumi_language = F.udf(tf.bangumi_language, StringType(), useArrow=False)
alias_language = F.udf(tf.alias_language, StringType(), useArrow=False)
title_key = F.udf(tf.title_key, StringType(), useArrow=False)
valid_score = F.udf(tf.valid_score, IntegerType(), useArrow=False)


def _tag_name(value: str | None) -> str | None:
    return tf.clean_title(value, 128)


clean_tag = F.udf(_tag_name, StringType(), useArrow=False)

valid_mean_score = F.udf(tf.valid_mean_score, DoubleType(), useArrow=False)
anime_key = F.udf(tf.anime_key, StringType(), useArrow=False)
main_title = F.udf(display.main_title, StringType(), useArrow=False)
casually_cased = F.udf(display.is_casually_cased, BooleanType(), useArrow=False)


def _broadcast_start(value: str | None) -> dt.datetime | None:
    parsed = seasons.parse_broadcast(value)
    return None if parsed is None else parsed.first_air


def _broadcast_period(value: str | None) -> int | None:
    parsed = seasons.parse_broadcast(value)
    return None if parsed is None else parsed.period_days


broadcast_start = F.udf(_broadcast_start, TimestampType(), useArrow=False)
broadcast_period = F.udf(_broadcast_period, IntegerType(), useArrow=False)
