"""Reading the training data from the database (the only Django-aware part of the pipeline).

:func:`export_tables` copies the behaviour log (``activity.Interaction``), the collections
(``favorites.CollectionEntry``) and the metadata of every interacted anime (``catalog.Anime``
and its genres) into parquet files with pyarrow; :func:`prepare_dataset` (pure pandas, tested
without a database) turns those tables into one row per (user, anime):

* a pair exists if the user has it in their collection, or the behaviour log has a positive event
  on it (:data:`POSITIVE_KINDS`: listed, rated, status change, favourited)
  whose latest positive-or-negative event is not a removal or "not interested"; page views alone
  do not make a pair;
* score: the collection's score, else the latest scored event's; favourite: the collection's flag,
  else the latest favourite / unfavourite event;
* timestamp: the first positive event's time (site events); data-set rows have none. The
  behaviour sequences follow :func:`recsys.pipeline.data.sequence_positions`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from activity.models import EventKind
from recsys.pipeline.data import Dataset, ItemTable

POSITIVE_KINDS = frozenset(
    k.value for k in (EventKind.LIST, EventKind.RATE, EventKind.STATUS, EventKind.FAVORITE)
)
NEGATIVE_KINDS = frozenset(k.value for k in (EventKind.REMOVE, EventKind.NOT_INTERESTED))

_INTERACTIONS_SQL = (
    "SELECT id, user_id, anime_id, kind, score, source, occurred_at FROM recsys_interaction "
    "WHERE kind IN ({kinds}) ORDER BY id"
)
_COLLECTION_SQL = (
    "SELECT user_id, anime_id, is_favorite, score, source, updated_at, status "
    "FROM favorites_collectionentry ORDER BY id"
)
_ANIME_SQL = "SELECT id, title, type, year, aired_from, score, members, franchise_id FROM catalog_anime"
_GENRES_SQL = (
    "SELECT ag.anime_id, g.name FROM catalog_anime_genres ag JOIN catalog_genre g ON g.id = ag.genre_id"
)

_SCHEMAS = {
    "interactions": pa.schema(
        [
            ("id", pa.int64()),
            ("user_id", pa.int64()),
            ("anime_id", pa.int64()),
            ("kind", pa.string()),
            ("score", pa.float64()),
            ("source", pa.string()),
            ("occurred_at", pa.timestamp("us")),
        ]
    ),
    "collection": pa.schema(
        [
            ("user_id", pa.int64()),
            ("anime_id", pa.int64()),
            ("is_favorite", pa.bool_()),
            ("score", pa.float64()),
            ("source", pa.string()),
            ("updated_at", pa.timestamp("us")),
            ("status", pa.string()),
        ]
    ),
    "anime": pa.schema(
        [
            ("anime_id", pa.int64()),
            ("title", pa.string()),
            ("type", pa.string()),
            ("year", pa.float64()),
            ("aired_from", pa.date32()),
            ("score", pa.float64()),
            ("members", pa.float64()),
            ("franchise_id", pa.int64()),
        ]
    ),
    "genres": pa.schema([("anime_id", pa.int64()), ("name", pa.string())]),
}


def _fetch(sql: str, schema: pa.Schema, chunk: int = 100_000) -> pa.Table:
    from django.db import connection

    names = schema.names
    batches: list[pa.RecordBatch] = []
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                break
            columns = list(zip(*rows, strict=True))
            arrays = [_column(col, schema.field(name).type) for name, col in zip(names, columns, strict=True)]
            batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def _column(values: tuple[object, ...], kind: pa.DataType) -> pa.Array:
    if pa.types.is_boolean(kind):
        # MySQL returns booleans as TINYINT.
        return pa.array([None if v is None else bool(v) for v in values], type=kind)
    return pa.array(list(values), type=kind)


def export_tables(export_dir: Path, progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Copy the training tables from the database into parquet files (explicit schemas).

    Parameters
    ----------
    export_dir : pathlib.Path
        Folder for ``interactions.parquet``, ``collection.parquet``, ``anime.parquet``,
        ``genres.parquet``.
    progress : callable, optional
        Progress lines.

    Returns
    -------
    dict
        Table name -> parquet path.
    """
    export_dir.mkdir(parents=True, exist_ok=True)
    kinds = ", ".join(
        f"'{k}'" for k in sorted(POSITIVE_KINDS | NEGATIVE_KINDS | {EventKind.UNFAVORITE.value})
    )
    queries = {
        "interactions": _INTERACTIONS_SQL.format(kinds=kinds),
        "collection": _COLLECTION_SQL,
        "anime": _ANIME_SQL,
        "genres": _GENRES_SQL,
    }
    paths: dict[str, Path] = {}
    for name, sql in queries.items():
        table = _fetch(sql, _SCHEMAS[name])
        path = export_dir / f"{name}.parquet"
        pq.write_table(table, path)
        paths[name] = path
        if progress is not None:
            progress(f"export: {name} {table.num_rows} rows")
    return paths


def prepare_dataset(
    interactions: pd.DataFrame,
    collection: pd.DataFrame,
    anime: pd.DataFrame,
    genres: pd.DataFrame,
) -> Dataset:
    """One row per (user, anime) from the exported tables (rules in the module docstring).

    Parameters
    ----------
    interactions : pandas.DataFrame
        ``id, user_id, anime_id, kind, score, source, occurred_at``.
    collection : pandas.DataFrame
        ``user_id, anime_id, is_favorite, score, source, updated_at``.
    anime : pandas.DataFrame
        ``anime_id, title, type, year, aired_from, score, members`` and optionally ``franchise_id``.
    genres : pandas.DataFrame
        ``anime_id, name``.

    Returns
    -------
    Dataset
        Users and items renumbered; items are the anime with at least one pair. Disliked pairs
        (:mod:`recsys.preferences`) are kept here; training drops them
        (:meth:`~recsys.pipeline.data.Dataset.without_dislikes`).
    """
    ev = interactions.copy()
    ev["occurred_at"] = pd.to_datetime(ev["occurred_at"])
    ev["t"] = (ev["occurred_at"] - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)
    ev["t_sort"] = ev["t"].fillna(-np.inf)
    ev = ev.sort_values(["user_id", "anime_id", "t_sort", "id"], kind="stable")
    key = ["user_id", "anime_id"]
    signal = ev[ev["kind"].isin(POSITIVE_KINDS | NEGATIVE_KINDS)]
    last_kind = signal.groupby(key, sort=False)["kind"].last()
    positive = ev[ev["kind"].isin(POSITIVE_KINDS)]
    first_t = positive.groupby(key, sort=False)["t"].min()
    scored = ev[ev["score"].notna() & (ev["score"] > 0)]
    last_score = scored.groupby(key, sort=False)["score"].last()
    fav_events = ev[ev["kind"].isin({"favorite", "unfavorite"})]
    last_fav = fav_events.groupby(key, sort=False)["kind"].last().eq("favorite")

    from_log = pd.DataFrame({"last_kind": last_kind})
    from_log = from_log[from_log["last_kind"].isin(POSITIVE_KINDS)]
    from_log = (
        from_log.join(first_t.rename("t"))
        .join(last_score.rename("score_log"))
        .join(last_fav.rename("fav_log"))
    )

    col = collection.copy()
    col["updated_at"] = pd.to_datetime(col["updated_at"])
    col["t_col"] = np.where(
        col["source"].eq("dataset"),
        np.nan,
        (col["updated_at"] - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1),
    )
    if "status" not in col.columns:
        col["status"] = ""
    col = col.set_index(key)[["is_favorite", "score", "t_col", "status"]].rename(
        columns={"score": "score_col"}
    )
    col = col[~col.index.duplicated(keep="last")]
    pairs = from_log.join(col, how="outer")
    pairs["score"] = pairs["score_col"].where(
        pairs["score_col"].notna() & (pairs["score_col"] > 0), pairs["score_log"]
    )
    favorite = pairs["is_favorite"].astype("boolean").combine_first(pairs["fav_log"].astype("boolean"))
    pairs["favorite"] = favorite.fillna(False).astype(bool)
    pairs["timestamp"] = pairs["t"].where(pairs["t"].notna(), pairs["t_col"])
    pairs = pairs.reset_index()

    user_ids = np.sort(pairs["user_id"].unique()).astype(np.int64)
    anime_ids = np.sort(pairs["anime_id"].unique()).astype(np.int64)
    meta = anime.set_index("anime_id").reindex(anime_ids)
    genre_lists = genres.groupby("anime_id")["name"].apply(lambda s: sorted(set(s))).reindex(anime_ids)
    frame = pd.DataFrame(
        {
            "anime_id": anime_ids,
            "title": meta["title"].fillna("").astype(str).to_numpy(),
            "type": meta["type"].fillna("Unknown").to_numpy(),
            "year": meta["year"].to_numpy(),
            "aired_from": meta["aired_from"].to_numpy(),
            "score": meta["score"].to_numpy(),
            "members": meta["members"].fillna(0).to_numpy(),
            "genres": [g if isinstance(g, list) else [] for g in genre_lists.tolist()],
        }
    )
    if "franchise_id" in meta.columns:  # absent from tables exported before franchises existed
        frame["franchise_id"] = meta["franchise_id"].to_numpy()
    items = ItemTable.from_frame(frame)
    return Dataset(
        user_ids=user_ids,
        items=items,
        user=np.searchsorted(user_ids, pairs["user_id"].to_numpy()).astype(np.int32),
        item=np.searchsorted(anime_ids, pairs["anime_id"].to_numpy()).astype(np.int32),
        score=pairs["score"].to_numpy(dtype=np.float32, na_value=np.nan),
        favorite=pairs["favorite"].to_numpy(dtype=bool),
        timestamp=pairs["timestamp"].to_numpy(dtype=np.float64, na_value=np.nan),
        status=pairs["status"].fillna("").astype(str).to_numpy(dtype=object),
    )


def dataset_from_database(*, export_dir: Path, progress: Callable[[str], None] | None = None) -> Dataset:
    """:func:`export_tables` then :func:`prepare_dataset` on the parquet files."""
    paths = export_tables(export_dir, progress)
    frames = {name: pq.read_table(path).to_pandas() for name, path in paths.items()}
    return prepare_dataset(frames["interactions"], frames["collection"], frames["anime"], frames["genres"])
