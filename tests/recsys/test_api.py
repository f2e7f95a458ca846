"""The recommendation, "not interested", similar-anime and health endpoints, over HTTP."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from activity.models import Interaction
from animesite.process_cache import process_cache
from catalog.models import Anime
from recsys.apis import RecommendationListApi, SimilarAnimeApi
from recsys.models import NotInterested
from recsys.registry import model_version_train
from recsys.serving import bundles, freshness
from tests.factories import AnimeFactory, CollectionEntryFactory, GenreFactory, TagFactory, UserFactory
from tests.recsys.serving_fakes import FakeBundle, fake_load, fake_train

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def serving(settings, tmp_path, monkeypatch):
    """Fresh per-process serving state, a private models folder, the fake bundle loader."""
    settings.MODELS_DIR = str(tmp_path / "models")
    monkeypatch.setattr(bundles, "bundle_loader", fake_load)
    bundles.active_model_forget()
    process_cache.clear()
    freshness.catalogue_check_reset()
    yield
    bundles.active_model_forget()
    process_cache.clear()


@pytest.fixture
def catalog():
    """Three genre clusters of four anime each, with 3-d vectors pointing at their genre's axis.

    ``members`` decrease along the list, so popularity order is romance, action, comedy.
    """
    genres = {name: GenreFactory.create(name=name) for name in ("Romance", "Action", "Comedy")}
    tag = TagFactory.create(name="school")
    anime: dict[str, list[Anime]] = {}
    vectors: dict[int, list[float]] = {}
    members = 100_000
    for axis, name in enumerate(genres):
        anime[name] = []
        for i in range(4):
            # Distinct stems: titles differing only by a number would be one franchise.
            word = ("Alpha", "Bravo", "Charlie", "Delta")[i]
            a = AnimeFactory.create(title=f"{name} {word}", members=members, genres=[genres[name]])
            members -= 1000
            a.tags.add(tag)
            anime[name].append(a)
            vector = [0.0, 0.0, 0.0]
            vector[axis] = 1.0
            vector[(axis + 1) % 3] = 0.05 * i
            vectors[a.id] = vector
    # Added to the catalogue after training: no vector yet.
    fresh = AnimeFactory.create(title="Fresh Romance", members=10, genres=[genres["Romance"]])
    fresh.tags.add(tag)
    return {"genres": genres, "anime": anime, "vectors": vectors, "fresh": fresh, "tag": tag}


@pytest.fixture
def active_model(catalog):
    return model_version_train(train_fn=fake_train(catalog["vectors"]), load_fn=fake_load)


def _ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


# --- recommendations -------------------------------------------------------------------------


def test_anonymous_gets_popular_items_with_reasons(api_client, catalog, active_model):
    # when
    response = api_client.get("/api/recommendations/", {"limit": 5})
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["degraded"] is False
    assert body["version"] == active_model.version
    assert len(body["results"]) == 5
    assert body["results"][0]["id"] == catalog["anime"]["Romance"][0].id  # the most followed
    assert {item["reason"]["code"] for item in body["results"]} == {"popular"}
    assert body["results"][0]["reason_text"] == "Popular right now"
    # diversity: the five most popular are four romance + one action; the list mixes genres
    genres = {item["genres"][0] for item in body["results"]}
    assert len(genres) >= 2
    first = body["results"][0]
    assert {
        "id",
        "mal_id",
        "title",
        "titles",
        "cover_url",
        "type",
        "year",
        "season",
        "score",
        "members",
    } <= set(first)


def test_cold_start_takes_effect_at_once(catalog, active_model):
    # given a new user: popular picks
    user = UserFactory.create()
    client = APIClient()
    client.force_login(user)
    before = client.get("/api/recommendations/", {"limit": 4}).json()
    assert {item["reason"]["code"] for item in before["results"]} == {"popular"}

    # when they rate two comedies (after the version was trained)
    liked = catalog["anime"]["Comedy"][:2]
    for anime in liked:
        CollectionEntryFactory.create(user=user, anime=anime, score=9)
    after = client.get("/api/recommendations/", {"limit": 4}).json()

    # then the next call is personal, explained, and skips what they already have
    ids = [item["id"] for item in after["results"]]
    assert ids != [item["id"] for item in before["results"]]
    assert ids[:2] == [a.id for a in catalog["anime"]["Comedy"][2:]]
    assert not {a.id for a in liked} & set(ids)
    top = after["results"][0]
    assert top["reason"]["code"] == "because_you_liked"
    assert top["reason"]["anime_id"] in {a.id for a in liked}
    liked_titles = {a.id: a.title for a in liked}
    assert top["reason"]["title"] == liked_titles[top["reason"]["anime_id"]]
    assert top["reason_text"] == f"Because you liked {top['reason']['title']}"
    assert after["degraded"] is False


def test_stored_user_vector_is_used_until_the_history_changes(catalog):
    # given a user whose collection existed when the version was promoted
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=10)
    model_version_train(train_fn=fake_train(catalog["vectors"]), load_fn=fake_load)
    client = APIClient()
    client.force_login(user)
    client.get("/api/recommendations/")
    bundle = bundles.active_model().bundle
    assert isinstance(bundle, FakeBundle)
    calls = bundle.user_vector_calls

    # when the history is unchanged, the vector comes from Redis (another limit: no cached list)
    response = client.get("/api/recommendations/", {"limit": 5})
    assert bundle.user_vector_calls == calls
    assert _ids(response)[0] == catalog["anime"]["Action"][1].id

    # when the history changes, the vector is computed on the spot
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Romance"][0], score=10, is_favorite=True)
    client.get("/api/recommendations/")
    assert bundle.user_vector_calls == calls + 1


def test_a_computed_list_is_reused_only_while_the_user_state_is_unchanged(
    monkeypatch, catalog, active_model, user, user_client
):
    # given
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=10)
    bundle = bundles.active_model().bundle
    assert isinstance(bundle, FakeBundle)
    calls: list[int] = []
    real_recommend = bundle.recommend

    def counting_recommend(**kwargs):
        calls.append(kwargs["k"])
        return real_recommend(**kwargs)

    monkeypatch.setattr(bundle, "recommend", counting_recommend)
    first = _ids(user_client.get("/api/recommendations/", {"limit": 3}))

    # when nothing changed
    again = _ids(user_client.get("/api/recommendations/", {"limit": 3}))
    # then the list is reused
    assert again == first and len(calls) == 1

    # when the user rates something, or hides the top pick
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][1], score=9)
    rated = _ids(user_client.get("/api/recommendations/", {"limit": 3}))
    NotInterested.objects.create(user=user, anime_id=rated[0])
    hidden = _ids(user_client.get("/api/recommendations/", {"limit": 3}))
    # then each answer is computed afresh
    assert len(calls) == 3
    assert catalog["anime"]["Action"][1].id not in rated
    assert rated[0] not in hidden


def test_reasons_are_translated(catalog, active_model):
    # given
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Romance"][0], score=9)
    client = APIClient()
    client.force_login(user)
    # when
    body = client.get("/api/recommendations/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    # then
    assert body["results"][0]["reason_text"] == "因为你喜欢 Romance Alpha"


def test_popular_in_genre_reason_when_the_model_has_nothing_to_say(catalog, active_model):
    # given a user whose only anime has no vector: the model cannot place them
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=catalog["fresh"], score=10)
    client = APIClient()
    client.force_login(user)
    # when
    body = client.get("/api/recommendations/", {"limit": 3}).json()
    # then popular romance first, explained by the genre they like
    assert body["results"][0]["reason"] == {"code": "popular_in_genre", "genre": "Romance"}
    assert body["results"][0]["reason_text"] == "Popular in Romance"
    assert catalog["fresh"].id not in _ids_from(body)


def _ids_from(body) -> list[int]:
    return [item["id"] for item in body["results"]]


def test_hidden_and_not_interested_anime_are_never_recommended(catalog, active_model):
    # given
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Romance"][0], score=10)
    hidden = catalog["anime"]["Romance"][1]
    Anime.objects.filter(pk=hidden.pk).update(is_hidden=True)
    NotInterested.objects.create(user=user, anime=catalog["anime"]["Romance"][2])
    client = APIClient()
    client.force_login(user)
    # when
    ids = _ids(client.get("/api/recommendations/", {"limit": 20}))
    # then
    assert ids[0] == catalog["anime"]["Romance"][3].id
    assert hidden.id not in ids
    assert catalog["anime"]["Romance"][2].id not in ids
    # everything else: 13 anime less the collection, the hidden one and the "not interested" one
    assert len(ids) == len(set(ids)) == 13 - 3


def test_not_interested_removes_an_anime_at_once_and_can_be_undone(catalog, active_model, user, user_client):
    # given
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=9)
    top = _ids(user_client.get("/api/recommendations/"))[0]

    # when
    response = user_client.post("/api/recommendations/not-interested/", {"anime_id": top}, format="json")

    # then
    assert response.status_code == 201
    assert response.json() == {"anime_id": top}
    assert top not in _ids(user_client.get("/api/recommendations/"))
    assert (
        Interaction.objects.filter(user=user, anime_id=top, kind=Interaction.Kind.NOT_INTERESTED).count() == 1
    )
    # posting twice is harmless
    assert (
        user_client.post("/api/recommendations/not-interested/", {"anime_id": top}, format="json").status_code
        == 201
    )
    assert Interaction.objects.filter(user=user, kind=Interaction.Kind.NOT_INTERESTED).count() == 1

    # when undone
    assert user_client.delete(f"/api/recommendations/not-interested/{top}/").status_code == 204
    assert _ids(user_client.get("/api/recommendations/"))[0] == top


def test_not_interested_rejects_unknown_anime_and_anonymous_users(api_client, user_client, catalog):
    # when
    unknown = user_client.post("/api/recommendations/not-interested/", {"anime_id": 987654}, format="json")
    missing = user_client.post("/api/recommendations/not-interested/", {}, format="json")
    anonymous = api_client.post("/api/recommendations/not-interested/", {"anime_id": catalog["fresh"].id})
    # then
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "invalid"
    assert unknown.json()["extra"]["fields"]["anime_id"] == ["Unknown anime."]
    assert "anime_id" in missing.json()["extra"]["fields"]
    assert anonymous.status_code == 403
    assert NotInterested.objects.count() == 0


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-3"])
def test_bad_limit_is_a_400_naming_the_field(api_client, limit):
    # when
    response = api_client.get("/api/recommendations/", {"limit": limit})
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "limit" in response.json()["extra"]["fields"]


def test_limit_bounds_are_accepted(api_client, catalog, active_model):
    assert len(_ids(api_client.get("/api/recommendations/", {"limit": 1}))) == 1
    assert len(_ids(api_client.get("/api/recommendations/", {"limit": 100}))) == 13
    assert len(_ids(api_client.get("/api/recommendations/"))) == 13


def test_query_count_does_not_grow_with_the_number_of_items(catalog, active_model):
    # given
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Romance"][0], score=9)
    client = APIClient()
    client.force_login(user)
    client.get("/api/recommendations/", {"limit": 2})  # loads the model
    # when: cold per-process caches
    process_cache.clear()
    with CaptureQueriesContext(connection) as few:
        client.get("/api/recommendations/", {"limit": 2})
    process_cache.clear()
    with CaptureQueriesContext(connection) as many:
        client.get("/api/recommendations/", {"limit": 10})
    # and warm ones
    with CaptureQueriesContext(connection) as warm:
        client.get("/api/recommendations/", {"limit": 10})
    # then: the session, the user and the user's state token come from Redis and the list from the
    # per-process cache, so a repeated request does not touch the database
    assert len(many) == len(few)
    assert len(warm) == 0


def test_changes_that_bypass_the_api_still_renew_the_answer(catalog, active_model, user, user_client):
    # given a reused answer
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=10)
    before = _ids(user_client.get("/api/recommendations/", {"limit": 3}))
    assert catalog["anime"]["Action"][1].id in before
    # when an operator adds to the collection in the admin (a plain save), and marks one as not
    # interested the same way
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][1], score=9)
    NotInterested.objects.create(user=user, anime=catalog["anime"]["Action"][2])
    # then the next answer reflects both
    after = _ids(user_client.get("/api/recommendations/", {"limit": 3}))
    assert catalog["anime"]["Action"][1].id not in after
    assert catalog["anime"]["Action"][2].id not in after


def test_state_is_read_from_the_database_while_redis_is_down(
    monkeypatch, catalog, active_model, user, user_client
):
    # given a reused answer, then the state tokens become unreadable
    from recsys.serving import recommendations

    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=10)
    assert catalog["anime"]["Action"][1].id in _ids(user_client.get("/api/recommendations/", {"limit": 3}))

    def down(*args, **kwargs):
        raise redis.ConnectionError("down")

    class Down:
        def __getattr__(self, name):
            return down

    from accounts import selectors

    monkeypatch.setattr(selectors, "redis_client", lambda **kwargs: Down())
    monkeypatch.setattr(recommendations, "user_state_token_for", down)
    # when the collection changes
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][1], score=9)
    response = user_client.get("/api/recommendations/", {"limit": 3})
    # then the change shows, flagged degraded
    assert response.status_code == 200
    assert catalog["anime"]["Action"][1].id not in _ids(response)
    assert response.json()["degraded"] is True


# --- degraded paths ----------------------------------------------------------------------------


def test_no_model_yet_gives_popularity_flagged_degraded(catalog, user, user_client):
    # given
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Comedy"][0], score=10)
    # when
    body = user_client.get("/api/recommendations/", {"limit": 3}).json()
    # then: popular in the genre they like, and the answer says it is a fallback
    assert body["degraded"] is True
    assert body["version"] is None
    assert _ids_from(body) == [a.id for a in catalog["anime"]["Comedy"][1:4]]
    assert body["results"][0]["reason"] == {"code": "popular_in_genre", "genre": "Comedy"}


def test_redis_unreachable_degrades_without_failing(settings, catalog, active_model, user, user_client):
    # given a user with history, then Redis (feature store and cache) goes away
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=10)
    closed = "redis://127.0.0.1:1/0"
    settings.REDIS_URL = closed
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = closed
    settings.CACHES = caches
    bundles.active_model_forget()

    # when
    personal = user_client.get("/api/recommendations/", {"limit": 3})
    anonymous = APIClient().get("/api/recommendations/", {"limit": 3})
    similar = APIClient().get(f"/api/anime/{catalog['anime']['Action'][0].id}/similar/")

    # then
    assert personal.status_code == anonymous.status_code == similar.status_code == 200
    assert personal.json()["degraded"] is anonymous.json()["degraded"] is similar.json()["degraded"] is True
    # the version is read from the database, so answers stay personal
    assert _ids(personal)[0] == catalog["anime"]["Action"][1].id
    assert len(_ids(anonymous)) == 3


def test_missing_artifacts_degrade_to_exact_search_over_the_published_vectors(
    monkeypatch, catalog, active_model, user, user_client
):
    # given a working model, then its folder disappears
    monkeypatch.setattr(bundles, "CHECK_INTERVAL_SECONDS", 0.0)
    action = catalog["anime"]["Action"]
    CollectionEntryFactory.create(user=user, anime=action[0], score=10)
    assert user_client.get("/api/recommendations/").json()["degraded"] is False
    shutil.rmtree(Path(active_model.artifact_dir))

    # when
    response = user_client.get("/api/recommendations/", {"limit": 3})
    similar = APIClient().get(f"/api/anime/{action[0].id}/similar/", {"limit": 3})

    # then: still personal, from the item vectors promotion put in Redis, and flagged degraded
    assert response.status_code == similar.status_code == 200
    body = response.json()
    assert body["degraded"] is True
    assert _ids_from(body) == [a.id for a in action[1:4]]
    assert body["results"][0]["channel"] == "exact_user"
    assert body["results"][0]["reason"] == {
        "code": "because_you_liked",
        "anime_id": action[0].id,
        "title": action[0].title,
    }
    assert similar.json()["degraded"] is True
    assert similar.json()["method"] == "vectors"
    assert _ids(similar) == [a.id for a in action[1:4]]


def test_missing_artifacts_and_vectors_degrade_to_popularity(
    monkeypatch, catalog, active_model, user, user_client
):
    # given a working model, then its folder and its published item vectors disappear
    from recsys.serving.store import item_vectors_key, redis_client

    monkeypatch.setattr(bundles, "CHECK_INTERVAL_SECONDS", 0.0)
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=10)
    assert user_client.get("/api/recommendations/").json()["degraded"] is False
    shutil.rmtree(Path(active_model.artifact_dir))
    redis_client().delete(item_vectors_key(active_model.version))

    # when
    response = user_client.get("/api/recommendations/", {"limit": 3})

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["degraded"] is True
    assert body["version"] is None
    assert _ids_from(body) == [a.id for a in catalog["anime"]["Action"][1:4]]
    assert body["results"][0]["reason"]["code"] == "popular_in_genre"


def test_a_failing_bundle_degrades_instead_of_500(monkeypatch, catalog, active_model, user, user_client):
    # given
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=10)
    bundle = bundles.active_model().bundle

    def broken(**kwargs):
        raise ValueError("corrupt ranker weights")

    monkeypatch.setattr(bundle, "recommend", broken)
    # when
    response = user_client.get("/api/recommendations/", {"limit": 3})
    # then
    assert response.status_code == 200
    assert response.json()["degraded"] is True
    assert len(_ids(response)) == 3


def test_new_version_is_picked_up_without_restart(monkeypatch, catalog, active_model, api_client):
    # given
    monkeypatch.setattr(bundles, "CHECK_INTERVAL_SECONDS", 0.0)
    assert api_client.get("/api/recommendations/").json()["version"] == active_model.version
    # when
    newer = model_version_train(
        train_fn=fake_train(catalog["vectors"], primary_metric=0.5), load_fn=fake_load
    )
    # then
    assert api_client.get("/api/recommendations/").json()["version"] == newer.version


# --- similar ---------------------------------------------------------------------------------


def test_similar_uses_item_vectors(api_client, catalog, active_model):
    # given
    romance = catalog["anime"]["Romance"]
    # when
    body = api_client.get(f"/api/anime/{romance[0].id}/similar/", {"limit": 3}).json()
    # then
    assert body["method"] == "vectors"
    assert body["degraded"] is False
    assert _ids_from(body) == [a.id for a in romance[1:4]]
    assert body["results"][0]["similarity"] > body["results"][2]["similarity"]


def test_similar_prefers_anime_liked_by_the_same_users(monkeypatch, api_client, catalog, active_model):
    # given taste neighbours that cross the vector clusters (one of them hidden)
    romance, action = catalog["anime"]["Romance"], catalog["anime"]["Action"]
    Anime.objects.filter(pk=action[1].pk).update(is_hidden=True)
    taste = {romance[0].id: [(action[0].id, 0.9), (action[1].id, 0.8), (romance[2].id, 0.7)]}
    monkeypatch.setattr(FakeBundle, "cooccurrence", taste)
    # when
    body = api_client.get(f"/api/anime/{romance[0].id}/similar/", {"limit": 3}).json()
    other = api_client.get(f"/api/anime/{romance[1].id}/similar/", {"limit": 3}).json()
    # then taste first, hidden anime never; anime without taste neighbours use the vectors
    assert body["method"] == "cooccurrence"
    assert _ids_from(body) == [action[0].id, romance[2].id]
    assert body["results"][0]["similarity"] == 0.9
    assert other["method"] == "vectors"


def test_similar_falls_back_to_content_for_anime_without_a_vector(api_client, catalog, active_model):
    # when
    body = api_client.get(f"/api/anime/{catalog['fresh'].id}/similar/", {"limit": 4}).json()
    # then: shared genre + tag (Jaccard 1.0) first, the most followed of those first
    assert body["method"] == "content"
    assert body["degraded"] is False
    assert _ids_from(body) == [a.id for a in catalog["anime"]["Romance"]]
    assert body["results"][0]["similarity"] == 1.0


def test_similar_without_a_model_is_content_based_and_degraded(api_client, catalog):
    # given an action anime with an extra genre
    action = catalog["anime"]["Action"][3]
    action.genres.add(catalog["genres"]["Comedy"])
    # when
    body = api_client.get(f"/api/anime/{action.id}/similar/", {"limit": 5}).json()
    # then: the other action anime (2 of 3 features shared) before the comedies
    assert body["degraded"] is True
    assert body["method"] == "content"
    assert _ids_from(body)[:3] == [a.id for a in catalog["anime"]["Action"][:3]]
    assert body["results"][0]["similarity"] == pytest.approx(2 / 3, abs=1e-4)
    assert action.id not in _ids_from(body)


def test_similar_excludes_hidden_anime_and_404s_for_hidden_or_unknown(api_client, catalog, active_model):
    # given
    romance = catalog["anime"]["Romance"]
    Anime.objects.filter(pk=romance[1].pk).update(is_hidden=True)
    # when
    body = api_client.get(f"/api/anime/{romance[0].id}/similar/", {"limit": 3}).json()
    hidden = api_client.get(f"/api/anime/{romance[1].id}/similar/")
    unknown = api_client.get("/api/anime/987654/similar/")
    bad = api_client.get(f"/api/anime/{romance[0].id}/similar/", {"limit": "0"})
    # then
    assert romance[1].id not in _ids_from(body)
    assert hidden.status_code == unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    assert bad.status_code == 400 and "limit" in bad.json()["extra"]["fields"]


def test_an_operator_hiding_an_anime_takes_it_out_of_reused_answers_at_once(
    monkeypatch, django_capture_on_commit_callbacks, catalog, active_model, user, user_client
):
    # given answers that are being reused
    from catalog.services import anime_set_hidden

    monkeypatch.setattr(freshness, "CHECK_INTERVAL_SECONDS", 0.0)
    freshness.catalogue_check_reset()
    action = catalog["anime"]["Action"]
    CollectionEntryFactory.create(user=user, anime=action[0], score=10)
    assert action[1].id in _ids(user_client.get("/api/recommendations/", {"limit": 3}))
    assert action[1].id in _ids(APIClient().get(f"/api/anime/{action[0].id}/similar/", {"limit": 3}))
    # when an operator hides it (the admin's action)
    with django_capture_on_commit_callbacks(execute=True):
        anime_set_hidden(anime_ids=[action[1].id], hidden=True)
    # then neither list shows it any more, and its own page is gone
    assert action[1].id not in _ids(user_client.get("/api/recommendations/", {"limit": 3}))
    assert action[1].id not in _ids(APIClient().get(f"/api/anime/{action[0].id}/similar/", {"limit": 3}))
    assert APIClient().get(f"/api/anime/{action[1].id}/similar/").status_code == 404


# --- health and schema -------------------------------------------------------------------------


def test_health_answers_without_queries(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/api/health/")
    assert response.json() == {"status": "ok"}


def test_responses_match_their_documented_serializers(catalog, active_model, user, user_client):
    # given
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Romance"][0], score=9)
    # when
    recommendations = user_client.get("/api/recommendations/").json()
    similar = user_client.get(f"/api/anime/{catalog['anime']['Romance'][0].id}/similar/").json()
    # then
    for body, serializer_class in (
        (recommendations, RecommendationListApi.OutputSerializer),
        (similar, SimilarAnimeApi.OutputSerializer),
    ):
        serializer = serializer_class(data=body)
        assert serializer.is_valid(), serializer.errors
        results_field: Any = serializer_class().fields["results"]
        documented = set(results_field.child.fields)
        assert all(set(item) == documented for item in body["results"])


def test_endpoints_are_in_the_schema(api_client):
    paths = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {
        "/api/recommendations/",
        "/api/recommendations/not-interested/",
        "/api/anime/{anime_id}/similar/",
        "/api/health/",
    } <= set(paths)
