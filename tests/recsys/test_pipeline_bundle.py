"""A trained version folder round-trips through load_bundle; the database export; evaluate_recsys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from accounts.models import User
from activity.models import Interaction
from catalog.models import Anime
from recsys.pipeline.bundle import load_bundle
from recsys.pipeline.candidates import ChannelParams
from recsys.pipeline.contract import Bundle, HistoryItem, TrainReport
from recsys.pipeline.deepwalk import DeepWalkParams
from recsys.pipeline.embeddings import Word2VecParams
from recsys.pipeline.params import PipelineParams
from recsys.pipeline.ranker import RankerParams
from recsys.pipeline.source import prepare_dataset
from recsys.pipeline.synthetic import synthetic_dataset
from recsys.pipeline.train import run_training
from tests.factories import AnimeFactory, CollectionEntryFactory, GenreFactory, UserFactory

SMALL = PipelineParams(
    ease_l2=30.0,
    ease_min_item_users=2,
    knn_neighbours=20,
    deepwalk=DeepWalkParams(
        walks_per_node=6,
        walk_length=10,
        word2vec=Word2VecParams(dim=8, epochs=5, workers=1),
        min_item_users=2,
    ),
    channels=ChannelParams(ease=25, itemknn=15, annoy_user=10, recent_seeds=3, per_seed=5, popular=10),
    ranker=RankerParams(hidden=(16,), max_epochs=5, batch_users=32),
    random_negatives=5,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainReport]:
    out = tmp_path_factory.mktemp("models") / "20260101-000000-abcd"
    data = synthetic_dataset(n_users=160, n_items=60, seed=5)
    lines: list[str] = []
    report = run_training(data, out_dir=out, progress=lines.append, seed=5, params=SMALL, spark_master=None)
    assert any("[ranker_train] done" in line for line in lines)
    return out, report


def test_training_writes_report_metrics_and_artifacts(trained):
    out, report = trained

    assert set(report.metrics) >= {"popularity", "itemknn", "ease", "deepwalk", "pipeline"}
    for metrics in report.metrics.values():
        assert {"recall@10", "recall@20", "ndcg@10", "ndcg@20", "coverage@20"} <= set(metrics)
        assert 0.0 <= metrics["ndcg@20"] <= 1.0
    assert report.primary_metric == report.metrics["pipeline"]["ndcg@20"]
    assert report.n_items == 60
    assert {"spark_graph", "graph", "ranker_train", "evaluation", "save"} & set(report.timings)
    assert report.extra["annoy"]["chosen"]["n_trees"] in {5, 10, 25, 50}
    assert len(report.extra["annoy"]["table"]) == 16
    for name in ("evaluation.json", "evaluation.png", "ranker_loss.png", "meta.json"):
        assert (out / name).is_file()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["primary_metric"] == pytest.approx(report.primary_metric)
    assert not list(out.rglob("*.pkl")) and not list(out.rglob("*.pt"))
    assert not (out / "work").exists()


def test_served_model_comes_from_the_one_training_recipe(trained):
    out, report = trained
    # EASE's L2 and EDLAE's dropout were chosen by fit_split on fit -> holdout by walking the
    # grids, and the served model carries the chosen pair, plain EASE's own weight (the baseline)
    # and the ranker that recipe trained
    from recsys.pipeline.ease_tuning import EASE_L2_GRID, EDLAE_DROPOUT_GRID, baseline_l2, tuning_value
    from recsys.pipeline.ranking import PipelineRecommender

    table = report.extra["ease_tuning"]
    assert {row["dropout"] for row in table} <= set(EDLAE_DROPOUT_GRID)
    assert {row["l2"] for row in table} <= set(EASE_L2_GRID)
    assert all(0 <= row["recall@20"] <= row["recall_norm@20"] <= 1 for row in table)
    best = max(table, key=tuning_value)
    served = PipelineRecommender.load(out / "model")
    assert served.params.ease_l2 == best["l2"] == report.params["ease_l2"]
    assert served.params.ease_dropout == best["dropout"] == report.params["ease_dropout"]
    assert served.channels is not None and served.channels.ease.dropout == best["dropout"]
    assert served.params.ease_baseline_l2 == baseline_l2(table)
    # each walk's choice had its neighbours on the grid measured: interior unless at an end
    # (the weight at the chosen dropout; the dropout at plain EASE's weight; plain EASE's weight)
    plain = served.params.ease_baseline_l2
    for grid, line, chosen in (
        (EASE_L2_GRID, {r["l2"] for r in table if r["dropout"] == best["dropout"]}, best["l2"]),
        (EDLAE_DROPOUT_GRID, {r["dropout"] for r in table if r["l2"] == plain}, best["dropout"]),
        (EASE_L2_GRID, {r["l2"] for r in table if r["dropout"] == 0.0}, plain),
    ):
        i = grid.index(chosen)
        assert {grid[j] for j in (i - 1, i + 1) if 0 <= j < len(grid)} <= line
    if best["dropout"] > 0:
        assert "edlae" in report.metrics
    assert {"ease_tuning", "channels_fit", "ranker_data", "ranker_train", "channels_train"} <= set(
        report.timings
    )
    for metrics in report.metrics.values():
        assert metrics["recall@20"] <= metrics["recall_norm@20"] + 1e-9


def test_bundle_round_trip_recommends_without_excluded_or_known_items(trained):
    out, _ = trained

    bundle: Bundle = load_bundle(out)

    assert bundle.version == out.name
    ids = list(bundle.item_ids)
    assert len(ids) == 60
    history = [
        HistoryItem(anime_id=ids[0], score=9, is_favorite=True),
        HistoryItem(anime_id=ids[6], score=8),
        HistoryItem(anime_id=ids[12], score=None, timestamp=1_700_000_000.0),
        HistoryItem(anime_id=999_999, score=10),  # unknown to the model: ignored
    ]
    exclude = {ids[18], ids[24], ids[30]}
    vector = bundle.user_vector(history)

    recs = bundle.recommend(history=history, user_vector=vector, exclude=exclude, k=8)

    assert vector is not None and len(vector) == 8
    assert 0 < len(recs) <= 8
    got = [r.anime_id for r in recs]
    assert len(set(got)) == len(got)
    assert not set(got) & (exclude | {h.anime_id for h in history})
    assert set(got) <= set(ids)
    assert all(r.because is None or r.because in {ids[0], ids[6], ids[12]} for r in recs)
    assert {r.channel for r in recs} <= {"ease", "itemknn", "annoy_user", "annoy_recent", "popular"}


def test_reranked_baseline_lists_come_from_one_scoring_pass():
    from recsys.pipeline.recommenders import EASERecommender
    from recsys.pipeline.rerank import RerankParams
    from recsys.pipeline.train import reranked_lists, train_data_for

    data = synthetic_dataset(n_users=120, n_items=45, seed=3)
    train = train_data_for(data, tuple(np.unique(data.part).tolist()), None)
    ease = EASERecommender(l2=30.0, min_item_users=2).fit(train)
    franchise = np.arange(45) // 3  # synthetic series: items 3s, 3s+1, 3s+2
    channels = type("Items", (), {"genres": np.zeros((45, 1), dtype=np.uint8), "franchise": franchise})
    rows = train.matrix.tocsr()[:30]

    lists = reranked_lists(ease, channels, RerankParams())(rows, 10)

    plain, _ = ease.recommend(rows, 10)
    np.testing.assert_array_equal(lists["plain"], plain)
    for r in range(rows.shape[0]):
        got = lists["reranked"][r][lists["reranked"][r] >= 0]
        assert got.size > 0
        assert len(set(franchise[got].tolist())) == got.size  # one entry per franchise
        assert not set(got.tolist()) & set(rows.indices[rows.indptr[r] : rows.indptr[r + 1]].tolist())
        assert got[0] == plain[r][0]  # the best item always leads


def test_bundle_one_entry_per_franchise_and_similar(trained):
    out, _ = trained
    bundle = load_bundle(out)
    ids = list(bundle.item_ids)

    recs = bundle.recommend(
        history=[HistoryItem(anime_id=ids[2], score=9)], user_vector=None, exclude=set(), k=10
    )
    similar = bundle.similar(ids[1], 5)

    # synthetic titles: items 3s, 3s+1, 3s+2 are one franchise ("Series s", "... Season 2", ...)
    franchises = [ids.index(r.anime_id) // 3 for r in recs]
    assert len(franchises) == len(set(franchises))
    assert 0 < len(similar) <= 5
    assert ids[1] not in [a for a, _ in similar]
    assert bundle.similar(123_456_789, 5) == []
    by_cooccurrence = bundle.similar_cooccurrence(ids[1], 5)
    assert 0 < len(by_cooccurrence) <= 5 and ids[1] not in [a for a, _ in by_cooccurrence]


def test_published_item_vectors_find_what_annoy_finds(trained):
    # given the vectors promotion publishes, searched exactly the way degraded serving does
    from recsys.serving.exact import ExactVectors

    bundle = load_bundle(trained[0])
    ids, unit = bundle.item_vectors()
    order = np.argsort(ids)
    exact = ExactVectors(ids=np.asarray(ids, dtype=np.int64)[order], unit=unit[order])
    # then they are unit vectors of items the bundle knows, and the neighbours mostly agree
    assert unit.shape == (len(ids), bundle.dim)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, rtol=1e-5)
    assert set(ids) <= set(bundle.item_ids)
    overlaps = []
    for anime_id in ids[:20]:
        by_annoy = {a for a, _ in bundle.similar(anime_id, 10)}
        by_exact = {a for a, _ in exact.similar(anime_id, 10)}
        overlaps.append(len(by_annoy & by_exact) / max(1, len(by_exact)))
    assert np.mean(overlaps) >= 0.8  # Annoy is approximate (tuned for recall >= 0.95 at 50)


def test_bundle_without_history_still_answers(trained):
    out, _ = trained
    bundle = load_bundle(out)

    recs = bundle.recommend(history=[], user_vector=None, exclude=set(), k=5)

    assert bundle.user_vector([]) is None
    assert len(recs) == 5


def test_prepare_dataset_applies_the_behaviour_rules():
    t = pd.Timestamp
    interactions = pd.DataFrame(
        [
            # user 1: a data-set list entry with a score
            (1, 1, 10, "list", 8.0, "dataset", pd.NaT),
            # user 2: rated, then removed -> no pair; favourited then unfavourited another
            (2, 2, 10, "rate", 9.0, "site", t("2024-01-01")),
            (3, 2, 10, "remove", None, "site", t("2024-01-02")),
            (4, 2, 11, "favorite", None, "site", t("2024-01-03")),
            (5, 2, 11, "unfavorite", None, "site", t("2024-01-04")),
            # user 2 only viewed anime 12: no pair
            (6, 2, 12, "view", None, "site", t("2024-01-05")),
            # user 3: not interested after listing -> no pair
            (7, 3, 12, "list", None, "site", t("2024-02-01")),
            (8, 3, 12, "not_interested", None, "site", t("2024-02-02")),
        ],
        columns=["id", "user_id", "anime_id", "kind", "score", "source", "occurred_at"],
    )
    collection = pd.DataFrame(
        [(3, 13, True, 7.0, "site", t("2024-03-01"))],
        columns=["user_id", "anime_id", "is_favorite", "score", "source", "updated_at"],
    )
    anime = pd.DataFrame(
        [(a, f"Title {a}", "TV", 2000 + a, None, 7.0, 100) for a in (10, 11, 12, 13)],
        columns=["anime_id", "title", "type", "year", "aired_from", "score", "members"],
    )
    genres = pd.DataFrame([(10, "Action"), (13, "Drama")], columns=["anime_id", "name"])

    data = prepare_dataset(interactions, collection, anime, genres)

    pairs = {
        (int(data.user_ids[u]), int(data.items.anime_ids[i])): (s, f, ts)
        for u, i, s, f, ts in zip(
            data.user, data.item, data.score, data.favorite, data.timestamp, strict=True
        )
    }
    assert set(pairs) == {(1, 10), (2, 11), (3, 13)}
    assert pairs[(1, 10)][0] == 8.0 and np.isnan(pairs[(1, 10)][2])
    assert pairs[(2, 11)][1] == False  # noqa: E712  (numpy bool)
    assert pairs[(3, 13)][0] == 7.0 and pairs[(3, 13)][1] == True  # noqa: E712
    assert pairs[(3, 13)][2] == pytest.approx(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
    assert data.items.genre_names == ["Action", "Drama"]


@pytest.mark.django_db
def test_dataset_from_database_reads_log_collection_and_catalogue(tmp_path: Path):
    from recsys.pipeline.source import dataset_from_database

    action = GenreFactory(name="Action")
    first = cast(Anime, AnimeFactory(genres=[action]))
    second = cast(Anime, AnimeFactory(year=2001))
    alice, bob = cast(User, UserFactory()), cast(User, UserFactory())
    Interaction.objects.create(user=alice, anime=first, kind="list", score=9, source="dataset")
    Interaction.objects.create(
        user=bob, anime=second, kind="view", source="site", occurred_at=datetime.now(UTC)
    )
    CollectionEntryFactory(user=bob, anime=first, is_favorite=True, score=6)

    data = dataset_from_database(export_dir=tmp_path)

    assert data.n_rows == 2
    assert sorted(data.items.anime_ids.tolist()) == [first.id]
    assert sorted(data.user_ids.tolist()) == sorted([alice.id, bob.id])
    assert sorted(data.score.tolist()) == [6.0, 9.0]
    assert data.items.genre_names == ["Action"]
    assert (tmp_path / "interactions.parquet").is_file()


@pytest.mark.django_db
def test_evaluate_recsys_on_external_files(tmp_path: Path):
    data = synthetic_dataset(n_users=120, n_items=50, seed=9)
    rng = np.random.default_rng(0)
    is_test = rng.random(data.n_rows) < 0.2
    train_lines: dict[int, list[str]] = {}
    test_rows = ["user,item,rating"]
    for u, i, s, t in zip(data.user, data.item, data.score, is_test, strict=True):
        if t:
            test_rows.append(f"u{u},{1000 + i},{'' if np.isnan(s) else int(s)}")
        else:
            train_lines.setdefault(u, []).append(str(1000 + i))
    train_csv = ["user,item,rating"] + [f"u{u},{i}," for u, items in train_lines.items() for i in items]
    (tmp_path / "train.csv").write_text("\n".join(train_csv))
    (tmp_path / "test.csv").write_text("\n".join(test_rows))
    out = StringIO()

    call_command(
        "evaluate_recsys",
        "--train",
        str(tmp_path / "train.csv"),
        "--test",
        str(tmp_path / "test.csv"),
        "--no-spark",
        "--out",
        str(tmp_path / "eval"),
        "--seed",
        "3",
        "--table",
        "csv",
        stdout=out,
    )

    text = out.getvalue()
    assert "model,recall@10,recall@20,ndcg@10,ndcg@20,coverage@20" in text
    payload = json.loads((tmp_path / "eval" / "evaluation-train.json").read_text())
    assert set(payload["metrics"]) >= {"popularity", "itemknn", "ease", "deepwalk", "pipeline"}
    assert payload["metrics"]["ease"]["users"] > 50
    assert (tmp_path / "eval" / "evaluation-train.png").stat().st_size > 1000


@pytest.mark.django_db
def test_train_bundle_reads_the_database_and_writes_a_loadable_version(tmp_path: Path, settings):
    # given data-set users whose collections follow two tastes
    from favorites.models import CollectionEntry
    from recsys.pipeline.train import train_bundle

    settings.SPARK_MASTER = ""  # build the graph with numpy; the Spark job has its own test
    # distinct franchises: a title ending in a number would read as a sequel
    anime = [cast(Anime, AnimeFactory(title=f"Story {i} Of Anime", year=1990 + i % 30)) for i in range(40)]
    rng = np.random.default_rng(0)
    entries = []
    for u in range(80):
        user = cast(User, UserFactory())
        side = u % 2
        picks = rng.choice(np.arange(side, 40, 2), size=12, replace=False)
        for i in picks.tolist():
            Interaction.objects.create(user=user, anime=anime[i], kind="list", score=8, source="dataset")
            entries.append(CollectionEntry(user=user, anime=anime[i], score=8, source="dataset"))
    CollectionEntry.objects.bulk_create(entries)
    lines: list[str] = []

    # when
    report = train_bundle(out_dir=tmp_path / "v1", progress=lines.append, seed=1)
    bundle = load_bundle(tmp_path / "v1")

    # then
    assert report.n_users == 80 and report.n_items == 40
    assert report.primary_metric == report.metrics["pipeline"]["ndcg@20"]
    assert "export" in report.timings and "graph" in report.timings
    assert any(line.startswith("[export] done") for line in lines)
    history = [HistoryItem(anime_id=anime[0].id, score=9), HistoryItem(anime_id=anime[2].id, score=9)]
    recs = bundle.recommend(history=history, user_vector=None, exclude=set(), k=5)
    assert recs and not {r.anime_id for r in recs} & {anime[0].id, anime[2].id}
    # the user likes even-numbered anime: most recommendations follow that taste
    evens = sum(1 for r in recs if [a.id for a in anime].index(r.anime_id) % 2 == 0)
    assert evens >= 3
