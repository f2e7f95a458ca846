"""Taste, end to end on the real pipeline: dislikes, plan-to-watch and "not interested" over HTTP.

One small catalogue with two franchises (BLEACH and its films, Sword Art Online and its sequels),
trained and promoted by the real pipeline; then the examples a new user tried.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from rest_framework.test import APIClient

from activity.models import Source
from animesite.process_cache import process_cache
from catalog.models import Anime
from recsys.models import ModelVersion
from recsys.registry import model_version_train
from recsys.serving import bundles
from tests.factories import AnimeFactory, CollectionEntryFactory, GenreFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BLEACH = ["BLEACH", "Bleach Movie 1: Memories of Nobody", "Bleach Movie 2: The DiamondDust Rebellion"]
SAO = ["Sword Art Online", "Sword Art Online II", "Sword Art Online: Alicization"]


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    """60 data-set users: BLEACH fans (action), SAO fans (romance), comedy fans; a trained model."""
    settings.MODELS_DIR = str(tmp_path / "models")
    settings.SPARK_MASTER = ""  # the graphs by numpy: same edges, no JVM in this test
    rng = random.Random(11)
    action, romance, comedy = (GenreFactory.create(name=n) for n in ("Action", "Romance", "Comedy"))
    titled = {t: AnimeFactory.create(title=t, genres=[action], members=90_000) for t in BLEACH}
    titled |= {t: AnimeFactory.create(title=t, genres=[action, romance], members=95_000) for t in SAO}
    shows = {
        g.name: [
            AnimeFactory.create(title=f"{g.name} Show {chr(65 + i)}", genres=[g], members=50_000 - i)
            for i in range(12)
        ]
        for g in (action, romance, comedy)
    }
    for u in range(60):
        user = UserFactory.create(username=f"fan{u}")
        group = u % 3
        if group == 0:
            picks = [titled[t] for t in BLEACH] + rng.sample(shows["Action"], 6)
        elif group == 1:
            picks = [titled[t] for t in SAO] + rng.sample(shows["Romance"], 6)
        else:
            picks = rng.sample(shows["Comedy"], 7) + rng.sample(shows["Action"], 2)
        for a in picks:
            CollectionEntryFactory.create(user=user, anime=a, score=rng.randint(7, 10), source=Source.DATASET)
    bundles.active_model_forget()
    process_cache.clear()
    mv = model_version_train()
    assert mv.status == ModelVersion.Status.ACTIVE, mv.error
    yield {"titled": titled, "shows": shows}
    bundles.active_model_forget()
    process_cache.clear()


def _recommendations(user, limit: int = 10) -> list[dict[str, Any]]:
    client = APIClient()
    client.force_login(user)
    body = client.get("/api/recommendations/", {"limit": limit}).json()
    assert body["degraded"] is False
    return list(body["results"])


def _cited(results: list[dict[str, Any]]) -> set[int]:
    return {r["reason"]["anime_id"] for r in results if r["reason"]["code"] == "because_you_liked"}


def test_dislikes_plan_to_watch_and_not_interested_on_the_real_pipeline(world):
    titled: dict[str, Anime] = world["titled"]
    bleach_ids = {titled[t].id for t in BLEACH}
    sao_ids = {titled[t].id for t in SAO}

    # BLEACH completed and scored 1: never a reason, none of its films recommended
    hater = UserFactory.create(username="bleach_hater")
    CollectionEntryFactory.create(user=hater, anime=titled["BLEACH"], score=1, status="completed")
    results = _recommendations(hater)
    assert len(results) >= 5
    assert not _cited(results)
    assert not bleach_ids & {r["id"] for r in results}

    # Sword Art Online scored 3/10 beside three liked romance shows: SAO is never the reason,
    # SAO II and the rest of the franchise stay out
    critic = UserFactory.create(username="sao_critic")
    CollectionEntryFactory.create(user=critic, anime=titled["Sword Art Online"], score=3)
    for show in world["shows"]["Romance"][:3]:
        CollectionEntryFactory.create(user=critic, anime=show, score=9)
    results = _recommendations(critic)
    assert results
    assert titled["Sword Art Online"].id not in _cited(results)
    assert _cited(results) <= {s.id for s in world["shows"]["Romance"][:3]}
    assert not sao_ids & {r["id"] for r in results}

    # plan-to-watch with no score is interest, never "because you liked"
    planner = UserFactory.create(username="planner")
    CollectionEntryFactory.create(user=planner, anime=titled["Sword Art Online"], status="want_to_watch")
    results = _recommendations(planner)
    assert results
    assert not _cited(results)

    # "not interested" on SAO, then a reload: SAO II (its franchise) is not offered either
    fan = UserFactory.create(username="romance_fan")
    for show in world["shows"]["Romance"][:4]:
        CollectionEntryFactory.create(user=fan, anime=show, score=10)
    before = {r["id"] for r in _recommendations(fan, limit=20)}
    assert titled["Sword Art Online II"].id in before or titled["Sword Art Online"].id in before
    client = APIClient()
    client.force_login(fan)
    answer = client.post(
        "/api/recommendations/not-interested/", {"anime_id": titled["Sword Art Online"].id}, format="json"
    )
    assert answer.status_code in (200, 201)
    after = {r["id"] for r in _recommendations(fan, limit=20)}
    assert not sao_ids & after
