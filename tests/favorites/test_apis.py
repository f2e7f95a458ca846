"""The collection API over HTTP: CRUD, validation, filters, ordering, auth, hidden anime."""

from __future__ import annotations

import pytest

from activity.models import Interaction
from catalog.models import Anime
from favorites.models import CollectionEntry
from tests.factories import AnimeFactory, CollectionEntryFactory, GenreFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_requests_are_refused_in_the_error_format(api_client):
    # given
    anime = AnimeFactory()

    # when
    responses = [
        api_client.get("/api/collection/"),
        api_client.post("/api/collection/", {"anime_id": anime.id}, format="json"),
        api_client.delete(f"/api/collection/{anime.id}/"),
        api_client.post(f"/api/collection/{anime.id}/favorite/"),
    ]

    # then
    for response in responses:
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"
    assert not CollectionEntry.objects.exists()


def test_post_creates_then_updates_the_same_entry(user_client, user):
    # given
    anime = AnimeFactory(genres=[GenreFactory(name="Action")])

    # when
    created = user_client.post(
        "/api/collection/", {"anime_id": anime.id, "status": "watching", "score": 7}, format="json"
    )
    updated = user_client.post("/api/collection/", {"anime_id": anime.id, "score": 9}, format="json")

    # then
    assert created.status_code == 201
    assert updated.status_code == 200
    body = updated.json()
    assert (body["status"], body["score"], body["is_favorite"]) == ("watching", 9, False)
    assert body["anime"]["id"] == anime.id
    assert body["anime"]["mal_id"] == anime.mal_id
    assert body["anime"]["genres"] == ["Action"]
    assert CollectionEntry.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"score": 11}, "score"),
        ({"score": 0}, "score"),
        ({"score": "ten"}, "score"),
        ({"status": "finished"}, "status"),
        ({"is_favorite": "maybe"}, "is_favorite"),
    ],
)
def test_bad_values_are_400_naming_the_field(user_client, payload, field):
    # given
    anime = AnimeFactory()

    # when
    response = user_client.post("/api/collection/", {"anime_id": anime.id, **payload}, format="json")

    # then
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["extra"]["fields"]) == [field]
    assert not CollectionEntry.objects.exists()


def test_unknown_and_hidden_anime_cannot_be_added(user_client):
    # given
    hidden = AnimeFactory(is_hidden=True)

    # when
    unknown = user_client.post("/api/collection/", {"anime_id": 999999}, format="json")
    hidden_post = user_client.post("/api/collection/", {"anime_id": hidden.id}, format="json")
    hidden_put = user_client.put(f"/api/collection/{hidden.id}/", {"status": "watching"}, format="json")

    # then
    assert unknown.status_code == 400
    assert "anime_id" in unknown.json()["extra"]["fields"]
    assert hidden_post.status_code == 400
    assert hidden_put.status_code == 404
    assert not CollectionEntry.objects.exists()


def test_get_put_patch_delete_one_entry(user_client, user):
    # given
    anime = AnimeFactory()

    # when / then: missing entry
    assert user_client.get(f"/api/collection/{anime.id}/").status_code == 404
    assert user_client.patch(f"/api/collection/{anime.id}/", {"score": 5}, format="json").status_code == 404

    # when / then: PUT creates with every field
    put = user_client.put(
        f"/api/collection/{anime.id}/",
        {"status": "completed", "score": 8, "is_favorite": True},
        format="json",
    )
    assert put.status_code == 201
    assert (put.json()["status"], put.json()["score"], put.json()["is_favorite"]) == ("completed", 8, True)

    # when / then: PATCH changes one field
    patch = user_client.patch(f"/api/collection/{anime.id}/", {"score": 10}, format="json")
    assert patch.status_code == 200
    assert (patch.json()["status"], patch.json()["score"], patch.json()["is_favorite"]) == (
        "completed",
        10,
        True,
    )

    # when / then: PUT with fewer fields resets the rest
    put_again = user_client.put(f"/api/collection/{anime.id}/", {"status": "dropped"}, format="json")
    assert put_again.status_code == 200
    assert (put_again.json()["score"], put_again.json()["is_favorite"]) == (None, False)

    # when / then: GET then DELETE
    assert user_client.get(f"/api/collection/{anime.id}/").json()["status"] == "dropped"
    assert user_client.delete(f"/api/collection/{anime.id}/").status_code == 204
    assert user_client.delete(f"/api/collection/{anime.id}/").status_code == 404
    assert not CollectionEntry.objects.filter(user=user).exists()
    kinds = list(Interaction.objects.filter(user=user).order_by("id").values_list("kind", flat=True))
    assert kinds == ["list", "favorite", "rate", "status", "rate", "unfavorite", "remove"]


def test_favorite_endpoint_sets_and_unsets_the_flag(user_client, user):
    # given
    anime = AnimeFactory()

    # when
    first = user_client.post(f"/api/collection/{anime.id}/favorite/")
    second = user_client.post(f"/api/collection/{anime.id}/favorite/")
    removed = user_client.delete(f"/api/collection/{anime.id}/favorite/")

    # then
    assert (first.status_code, second.status_code, removed.status_code) == (201, 200, 200)
    assert second.json()["is_favorite"] is True
    assert removed.json()["is_favorite"] is False
    assert user_client.delete(f"/api/collection/{AnimeFactory().id}/favorite/").status_code == 404
    kinds = list(Interaction.objects.filter(user=user).order_by("id").values_list("kind", flat=True))
    assert kinds == ["list", "favorite", "unfavorite"]


def test_list_filters_orders_paginates_and_leaves_out_hidden_anime(user_client, user):
    # given
    a = AnimeFactory(title="Alpha")
    b = AnimeFactory(title="Bravo")
    c = AnimeFactory(title="Charlie")
    hidden = AnimeFactory(title="Delta")
    CollectionEntryFactory(user=user, anime=a, status="watching", score=6, is_favorite=True)
    CollectionEntryFactory(user=user, anime=b, status="completed", score=9)
    CollectionEntryFactory(user=user, anime=c, status="watching", score=None, is_favorite=True)
    CollectionEntryFactory(user=user, anime=hidden, status="watching", score=10)
    CollectionEntryFactory(user=UserFactory(), anime=b, status="watching")
    Anime.objects.filter(pk=hidden.pk).update(is_hidden=True)

    def titles(query: str) -> list[str]:
        response = user_client.get(f"/api/collection/?{query}")
        assert response.status_code == 200
        return [item["anime"]["title"] for item in response.json()["results"]]

    # when / then
    assert titles("ordering=title") == ["Alpha", "Bravo", "Charlie"]
    assert titles("ordering=-score") == ["Bravo", "Alpha", "Charlie"]
    assert titles("ordering=score") == ["Alpha", "Bravo", "Charlie"]
    assert titles("status=watching&ordering=title") == ["Alpha", "Charlie"]
    assert titles("favorite=true&ordering=-title") == ["Charlie", "Alpha"]
    assert titles("favorite=false") == ["Bravo"]
    page = user_client.get("/api/collection/?ordering=title&page_size=2&page=2").json()
    assert page["count"] == 3
    assert [item["anime"]["title"] for item in page["results"]] == ["Charlie"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=finished", "status"), ("favorite=perhaps", "favorite"), ("ordering=rating", "ordering")],
)
def test_list_rejects_bad_parameters_naming_them(user_client, query, field):
    # when
    response = user_client.get(f"/api/collection/?{query}")

    # then
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == [field]
