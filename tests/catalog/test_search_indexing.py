"""Keeping the search index in step with the catalogue: rebuilds with an alias swap, edits, deletes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from catalog.documents import AnimeDocument, anime_alias
from catalog.models import Anime, AnimeTitle
from catalog.search import indexing
from catalog.search.client import indexing_client
from catalog.search.indexing import delete_index, index_anime, live_indices, rebuild_index
from catalog.services import anime_changed, anime_set_hidden
from tests.factories import AnimeFactory, GenreFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.search]


def make_anime(**fields: Any) -> Anime:
    return cast(Anime, AnimeFactory(**fields))


def make_user(**fields: Any) -> User:
    return cast(User, UserFactory(**fields))


@pytest.fixture(autouse=True)
def clean_index() -> Iterator[None]:
    delete_index()
    name = AnimeDocument._index._name
    yield
    # `search_index --rebuild --use-alias` renames the document's index object in-process.
    AnimeDocument._index._name = name
    delete_index()


@pytest.fixture
def catalogue() -> list[Anime]:
    action = GenreFactory(name="Action", slug="action")
    return [
        make_anime(title="Cowboy Bebop", title_zh_hans="星际牛仔", members=1_500_000, genres=[action]),
        make_anime(title="Trigun", members=500_000, genres=[action]),
        make_anime(title="Outlaw Star", members=150_000),
    ]


@pytest.fixture
def staff_client() -> APIClient:
    client = APIClient()
    client.force_login(make_user(username="curator", is_staff=True, is_superuser=True))
    return client


def refresh() -> None:
    indexing_client().indices.refresh(index=anime_alias())


def search_ids(client: APIClient, q: str, **params: Any) -> list[int]:
    body = client.get("/api/search/", {"q": q, **params}).json()
    assert body["degraded"] is False
    return [r["id"] for r in body["results"]]


def aliased_indices() -> list[str]:
    return sorted(name for name, aliased in live_indices(indexing_client()).items() if aliased)


# --- rebuilds ------------------------------------------------------------------------------------


def test_rebuild_loads_a_new_index_swaps_the_alias_and_drops_the_old_one(api_client, catalogue):
    # given an index built once
    assert rebuild_index(progress=False) == 3
    [first] = aliased_indices()
    assert first.startswith(f"{anime_alias()}-")
    # when an anime is added and the index is rebuilt
    added = make_anime(title="Samurai Champloo", members=900_000)
    assert rebuild_index(progress=False) == 4
    # then the alias points at a new index, the old index is gone and the new anime is found
    [second] = aliased_indices()
    assert second != first
    client = indexing_client()
    assert not client.indices.exists(index=first)
    assert client.indices.get_alias(name=anime_alias()) == {second: {"aliases": {anime_alias(): {}}}}
    assert search_ids(api_client, "samurai champloo") == [added.id]


def test_search_keeps_answering_from_the_old_index_during_a_rebuild(api_client, catalogue, monkeypatch):
    rebuild_index(progress=False)
    make_anime(title="Samurai Champloo", members=900_000)
    seen_during: list[list[int]] = []
    documents = indexing._documents

    def observed(anime: Any, index: str) -> Iterator[dict[str, Any]]:
        for n, action in enumerate(documents(anime, index)):
            if n == 2:
                # half-way through the load: the alias still serves the complete old index
                seen_during.append(search_ids(api_client, "cowboy bebop"))
                seen_during.append(search_ids(api_client, "samurai champloo"))
            yield action

    monkeypatch.setattr(indexing, "_documents", observed)
    rebuild_index(progress=False)
    assert seen_during == [[catalogue[0].id], []]
    assert search_ids(api_client, "samurai champloo") != []


def test_a_failed_rebuild_leaves_the_live_index_untouched(api_client, catalogue, monkeypatch):
    rebuild_index(progress=False)
    [live] = aliased_indices()

    def broken(anime: Any, index: str) -> Iterator[dict[str, Any]]:
        yield from []
        raise RuntimeError("database went away")

    monkeypatch.setattr(indexing, "_documents", broken)
    with pytest.raises(RuntimeError):
        rebuild_index(progress=False)
    assert list(live_indices(indexing_client())) == [live]  # the half-built index was dropped
    assert search_ids(api_client, "trigun") == [catalogue[1].id]


def test_a_rebuild_removes_indices_left_by_an_interrupted_one(catalogue):
    client = indexing_client()
    leftover = f"{anime_alias()}-20000101000000000000"
    client.indices.create(index=leftover)
    rebuild_index(progress=False)
    assert not client.indices.exists(index=leftover)


def test_writes_during_a_rebuild_reach_the_new_index(api_client, catalogue, monkeypatch):
    rebuild_index(progress=False)
    bebop = catalogue[0]
    documents = indexing._documents
    edited: list[int] = []

    def edit_midway(anime: Any, index: str) -> Iterator[dict[str, Any]]:
        for action in documents(anime, index):
            yield action
            if not edited:
                edited.append(bebop.id)
                # an operator renames the first anime after the rebuild has read it
                anime = Anime.objects.get(id=bebop.id)
                anime.title = "Space Cowboy Bebop Remastered"
                anime.save(update_fields=["title", "updated_at"])
                index_anime(anime_ids=[bebop.id])

    monkeypatch.setattr(indexing, "_documents", edit_midway)
    rebuild_index(progress=False)
    refresh()
    assert search_ids(api_client, "remastered") == [bebop.id]


def test_search_rebuild_command(api_client, catalogue):
    out = io.StringIO()
    call_command("search_rebuild", "--no-progress", stdout=out)
    assert "indexed 3 anime" in out.getvalue()
    assert len(aliased_indices()) == 1
    assert search_ids(api_client, "outlaw star") == [catalogue[2].id]


def test_search_index_rebuild_use_alias_swaps_the_alias(api_client, catalogue):
    rebuild_index(progress=False)
    [before] = aliased_indices()
    call_command("search_index", "--rebuild", "--use-alias", "-f", stdout=io.StringIO())
    [after] = aliased_indices()
    assert after != before
    assert after.startswith(f"{anime_alias()}-")
    assert not indexing_client().indices.exists(index=before)
    refresh()
    assert search_ids(api_client, "星际牛仔") == [catalogue[0].id]


def test_plain_search_index_rebuild_still_leaves_a_working_index(api_client, catalogue):
    # `search_index --rebuild` without --use-alias replaces the alias by a plain index of that name
    rebuild_index(progress=False)
    call_command("search_index", "--rebuild", "-f", stdout=io.StringIO())
    client = indexing_client()
    client.indices.refresh(index=anime_alias())
    assert list(live_indices(client)) == [anime_alias()]
    assert search_ids(api_client, "trigun") == [catalogue[1].id]
    # and the next aliased rebuild turns it back into an alias atomically
    rebuild_index(progress=False)
    [aliased] = aliased_indices()
    assert aliased != anime_alias()
    assert client.indices.exists_alias(name=anime_alias())
    assert search_ids(api_client, "trigun") == [catalogue[1].id]


# --- edits ---------------------------------------------------------------------------------------


def admin_form(anime: Anime, **changes: Any) -> dict[str, Any]:
    titles = list(anime.titles.order_by("id"))
    data: dict[str, Any] = {
        "mal_id": anime.mal_id,
        "title": anime.title,
        "type": anime.type,
        "episodes": anime.episodes or "",
        "score": anime.score if anime.score is not None else "",
        "members": anime.members,
        "title_en": anime.title_en,
        "title_ja": anime.title_ja,
        "title_zh_hans": anime.title_zh_hans,
        "title_zh_hant": anime.title_zh_hant,
        "aired_from": "",
        "aired_to": "",
        "year": anime.year or "",
        "season": anime.season,
        "synopsis": anime.synopsis,
        "synopsis_zh": anime.synopsis_zh,
        "cover_url": anime.cover_url,
        "official_site": anime.official_site,
        "genres": [g.id for g in anime.genres.all()],
        "titles-TOTAL_FORMS": len(titles),
        "titles-INITIAL_FORMS": len(titles),
        "titles-MIN_NUM_FORMS": 0,
        "titles-MAX_NUM_FORMS": 1000,
        "external_ids-TOTAL_FORMS": 0,
        "external_ids-INITIAL_FORMS": 0,
        "external_ids-MIN_NUM_FORMS": 0,
        "external_ids-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for n, title in enumerate(titles):
        data.update(
            {
                f"titles-{n}-id": title.id,
                f"titles-{n}-anime": anime.id,
                f"titles-{n}-text": title.text,
                f"titles-{n}-language": title.language,
                f"titles-{n}-kind": title.kind,
            }
        )
    data.update(changes)
    return data


def test_an_admin_title_edit_reaches_the_index_after_commit(
    api_client, staff_client, catalogue, django_capture_on_commit_callbacks
):
    rebuild_index(progress=False)
    trigun = catalogue[1]
    # when an operator renames the anime and adds a synonym in the admin
    form = admin_form(
        trigun,
        title="Trigun Stampede Classic",
        **{
            "titles-TOTAL_FORMS": trigun.titles.count() + 1,
            f"titles-{trigun.titles.count()}-text": "トライガン",
            f"titles-{trigun.titles.count()}-language": AnimeTitle.Language.JAPANESE,
            f"titles-{trigun.titles.count()}-kind": AnimeTitle.Kind.OFFICIAL,
        },
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(f"/admin/catalog/anime/{trigun.id}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    # then the index follows through the task once the transaction commits
    assert len(callbacks) == 1
    refresh()
    assert search_ids(api_client, "stampede classic") == [trigun.id]
    assert search_ids(api_client, "トライガン") == [trigun.id]


def test_changes_wait_for_the_commit(api_client, catalogue, django_capture_on_commit_callbacks):
    rebuild_index(progress=False)
    outlaw = catalogue[2]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Anime.objects.filter(id=outlaw.id).update(title="Outlaw Galaxy")
        anime_changed(anime_ids=[outlaw.id])
        refresh()
        # nothing reaches the index inside the transaction
        assert search_ids(api_client, "outlaw galaxy") == []
    assert len(callbacks) == 1
    callbacks[0]()
    refresh()
    assert search_ids(api_client, "outlaw galaxy") == [outlaw.id]


def test_hiding_an_anime_removes_it_from_visitor_searches(
    api_client, staff_client, catalogue, django_capture_on_commit_callbacks
):
    rebuild_index(progress=False)
    bebop = catalogue[0]
    with django_capture_on_commit_callbacks(execute=True):
        anime_set_hidden(anime_ids=[bebop.id], hidden=True)
    refresh()
    assert search_ids(api_client, "cowboy bebop") == []
    assert api_client.get("/api/search/suggest/", {"q": "cowboy"}).json()["results"] == []
    staff_results = staff_client.get("/api/search/", {"q": "cowboy bebop", "include_hidden": "true"}).json()
    assert [(r["id"], r["is_hidden"]) for r in staff_results["results"]] == [(bebop.id, True)]


def test_deleted_anime_leave_the_index(
    api_client, staff_client, catalogue, django_capture_on_commit_callbacks
):
    rebuild_index(progress=False)
    outlaw = catalogue[2]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/catalog/anime/{outlaw.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    refresh()
    assert not indexing_client().exists(index=anime_alias(), id=str(outlaw.id))
    assert search_ids(api_client, "outlaw star") == []


def test_index_writes_before_the_first_build_create_nothing(catalogue, caplog):
    with caplog.at_level(logging.WARNING, logger="catalog.search.indexing"):
        index_anime(anime_ids=[catalogue[0].id])
    assert not indexing_client().indices.exists(index=anime_alias())
    assert any("does not exist yet" in r.getMessage() for r in caplog.records)
