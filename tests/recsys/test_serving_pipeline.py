"""The real pipeline end to end: train on a small synthetic catalogue, promote, serve over HTTP."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from activity.models import Source
from animesite.process_cache import process_cache
from recsys.models import ModelVersion
from recsys.registry import model_version_train
from recsys.serving import bundles
from recsys.serving.store import ACTIVE_KEY, redis_client, user_vectors_key
from tests.factories import AnimeFactory, CollectionEntryFactory, GenreFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.spark, pytest.mark.slow]


@pytest.fixture
def taste_clusters():
    """60 data-set users over 45 anime in three genres; each user mostly watches one genre."""
    rng = random.Random(7)
    genres = [GenreFactory.create(name=name) for name in ("Romance", "Action", "Comedy")]
    anime = {
        g.name: [AnimeFactory.create(genres=[g], members=10_000 - 100 * i, year=2000 + i) for i in range(15)]
        for g in genres
    }
    users = []
    for u in range(60):
        user = UserFactory.create(username=f"ds{u}")
        favourite = genres[u % 3].name
        other = genres[(u + 1) % 3].name
        picks = rng.sample(anime[favourite], 10) + rng.sample(anime[other], 2)
        for a in picks:
            CollectionEntryFactory.create(
                user=user,
                anime=a,
                score=rng.randint(7, 10) if a in anime[favourite] else rng.randint(3, 6),
                source=Source.DATASET,
            )
        users.append(user)
    return {"anime": anime, "users": users}


def test_real_pipeline_trains_promotes_and_serves(settings, tmp_path, taste_clusters):
    # given
    settings.MODELS_DIR = str(tmp_path / "models")
    bundles.active_model_forget()
    process_cache.clear()
    lines: list[str] = []

    # when
    mv = model_version_train(progress=lines.append)

    # then: a promoted version with metrics for the pipeline and its baselines
    mv.refresh_from_db()
    assert mv.status == ModelVersion.Status.ACTIVE, mv.error
    assert {"popularity", "ease", "pipeline"} <= set(mv.metrics)
    assert mv.primary_metric == pytest.approx(mv.metrics["pipeline"]["ndcg@20"])
    assert Path(mv.artifact_dir, "model").is_dir()
    assert redis_client().get(ACTIVE_KEY) == mv.version.encode()
    assert redis_client().hlen(user_vectors_key(mv.version)) == 60
    assert any("quality gate" in line for line in lines)

    # when a new site user likes three action anime
    action = taste_clusters["anime"]["Action"]
    user = UserFactory.create(username="newcomer")
    for a in action[:3]:
        CollectionEntryFactory.create(user=user, anime=a, score=10)
    client = APIClient()
    client.force_login(user)
    body = client.get("/api/recommendations/", {"limit": 5}).json()

    # then the served model answers, mostly with action anime, explained by what they liked
    assert body["degraded"] is False
    assert body["version"] == mv.version
    ids = [item["id"] for item in body["results"]]
    assert len(ids) == 5 and not {a.id for a in action[:3]} & set(ids)
    assert sum(item["genres"] == ["Action"] for item in body["results"]) >= 3
    assert any(item["reason"]["code"] == "because_you_liked" for item in body["results"])

    # and similar anime are the ones the same users liked, mostly action anime like it
    similar = client.get(f"/api/anime/{action[0].id}/similar/", {"limit": 5}).json()
    assert similar["method"] == "cooccurrence"
    assert len(similar["results"]) == 5
    assert action[0].id not in [item["id"] for item in similar["results"]]
    assert sum(item["genres"] == ["Action"] for item in similar["results"]) >= 3
    bundles.active_model_forget()
    process_cache.clear()
