"""New anime reach users over HTTP on the real pipeline: the content channel blended into the list.

A small catalogue trained and promoted by the real pipeline, plus anime that began airing a few
weeks ago and that nobody has in a list (so the model does not know them).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from activity.models import Source
from animesite.process_cache import process_cache
from recsys.models import ModelVersion
from recsys.registry import model_version_train
from recsys.serving import bundles
from tests.factories import AnimeFactory, CollectionEntryFactory, GenreFactory, TagFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SAO = ["Sword Art Online", "Sword Art Online II", "Sword Art Online: Alicization"]
NEW_CODES = {"new_this_season", "new_like"}


@pytest.fixture
def world(settings, tmp_path) -> Iterator[dict[str, Any]]:
    settings.MODELS_DIR = str(tmp_path / "models")
    settings.SPARK_MASTER = ""
    rng = random.Random(5)
    action, romance, comedy = (GenreFactory.create(name=n) for n in ("Action", "Romance", "Comedy"))
    sao = {t: AnimeFactory.create(title=t, genres=[action, romance], members=95_000) for t in SAO}
    shows = {
        g.name: [
            AnimeFactory.create(
                title=f"{g.name} Show {chr(65 + i)}",
                genres=[g],
                members=50_000 - i,
                synopsis=f"a {g.name.lower()} story of friends",
            )
            for i in range(12)
        ]
        for g in (action, romance, comedy)
    }
    # Tags, as most new anime have (genres: 1 % of them; the channel serves genres at weight 0)
    for g, shows_of_genre in shows.items():
        tag = TagFactory.create(name=f"{g.lower()} tag")
        for show in shows_of_genre:
            show.tags.set([tag])
    for u in range(45):
        user = UserFactory.create(username=f"viewer{u}")
        group = u % 3
        if group == 0:
            picks = [sao[t] for t in SAO] + rng.sample(shows["Romance"], 6)
        elif group == 1:
            picks = rng.sample(shows["Action"], 7)
        else:
            picks = rng.sample(shows["Comedy"], 7) + rng.sample(shows["Action"], 2)
        for a in picks:
            CollectionEntryFactory.create(user=user, anime=a, score=rng.randint(7, 10), source=Source.DATASET)
    recent = dt.date.today() - dt.timedelta(days=20)
    new_romance = AnimeFactory.create(
        title="Romance Fresh Start",
        genres=[romance],
        synopsis="a romance story of friends",
        aired_from=recent,
        year=recent.year,
    )
    new_romance.tags.set([shows["Romance"][0].tags.get()])
    new_sao = AnimeFactory.create(
        title="Sword Art Online: Next Frontier", genres=[action, romance], aired_from=recent, year=recent.year
    )
    bundles.active_model_forget()
    process_cache.clear()
    mv = model_version_train()
    assert mv.status == ModelVersion.Status.ACTIVE, mv.error
    yield {"sao": sao, "shows": shows, "new_romance": new_romance, "new_sao": new_sao}
    bundles.active_model_forget()
    process_cache.clear()


def _recommendations(user, limit: int = 10) -> list[dict[str, Any]]:
    client = APIClient()
    client.force_login(user)
    body = client.get("/api/recommendations/", {"limit": limit}).json()
    assert body["degraded"] is False
    return list(body["results"])


def test_new_anime_reach_a_user_through_liked_anime_only(world):
    romance = world["shows"]["Romance"]
    critic = UserFactory.create(username="romance_critic")
    CollectionEntryFactory.create(user=critic, anime=world["sao"]["Sword Art Online"], score=3)
    for show in romance[:3]:
        CollectionEntryFactory.create(user=critic, anime=show, score=9)
    CollectionEntryFactory.create(user=critic, anime=romance[3], status="want_to_watch")

    results = _recommendations(critic)
    new = [r for r in results if r["reason"]["code"] in NEW_CODES]
    assert [r["id"] for r in new] == [world["new_romance"].id]
    assert new[0]["channel"] == "content_new"
    assert new[0]["reason"]["anime_id"] in {s.id for s in romance[:3]}  # liked, never the planned one
    assert new[0]["reason"]["code"] == "new_this_season"
    assert "like" in new[0]["reason_text"]
    # the disliked franchise's new entry stays out, like the rest of the franchise
    assert world["new_sao"].id not in {r["id"] for r in results}
    # one entry per franchise and nothing from the collection
    assert not {r["id"] for r in results} & {s.id for s in romance[:4]}


def test_not_interested_in_the_new_anime_removes_it(world):
    fan = UserFactory.create(username="romance_fan")
    for show in world["shows"]["Romance"][:4]:
        CollectionEntryFactory.create(user=fan, anime=show, score=10)
    assert world["new_romance"].id in {r["id"] for r in _recommendations(fan)}
    client = APIClient()
    client.force_login(fan)
    answer = client.post(
        "/api/recommendations/not-interested/", {"anime_id": world["new_romance"].id}, format="json"
    )
    assert answer.status_code in (200, 201)
    assert world["new_romance"].id not in {r["id"] for r in _recommendations(fan)}
