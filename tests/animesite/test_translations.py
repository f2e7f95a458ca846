"""The site speaks the reader's language: server messages the UI shows and the admin's names."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from favorites.models import CollectionEntry
from recsys.models import ModelVersion, NotInterested
from tests.factories import AnimeFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}


def test_the_mal_import_error_is_chinese_on_the_chinese_site(user_client):
    # given: the file of the example, with an id that is not a MAL id
    data = (
        b"<myanimelist><anime><series_animedb_id>abc</series_animedb_id>"
        b"<my_status>Completed</my_status><my_score>0</my_score></anime></myanimelist>"
    )

    # when
    zh = user_client.post(
        "/api/collection/import/",
        {"file": SimpleUploadedFile("animelist.xml", data)},
        format="multipart",
        **ZH,
    )
    en = user_client.post(
        "/api/collection/import/",
        {"file": SimpleUploadedFile("animelist.xml", data)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    # then
    assert zh.status_code == en.status_code == 400
    assert en.json()["message"] == "line 1 (?): series_animedb_id 'abc' is not a MAL id."
    assert zh.json()["message"] == "第 1 行（?）：series_animedb_id 'abc' 不是 MyAnimeList 的编号。"  # noqa: RUF001


def test_collection_field_errors_are_chinese_on_the_chinese_site(user_client):
    anime = AnimeFactory(episodes=12)

    response = user_client.post(
        "/api/collection/", {"anime_id": anime.id, "episodes_watched": 13}, format="json", **ZH
    )

    body = response.json()
    assert body["message"] == "输入无效。"
    assert body["extra"]["fields"]["episodes_watched"] == ["这部动画共 12 集，已看集数最多为 12。"]  # noqa: RUF001


def test_ranking_errors_are_chinese_on_the_chinese_site(api_client):
    response = api_client.get("/api/rankings/best/", **ZH)

    assert response.status_code == 404
    assert response.json()["message"] == "没有这个排行榜。"


@pytest.mark.parametrize(
    ("model", "english", "chinese"),
    [
        (NotInterested, "not-interested marks", "不感兴趣标记"),
        (CollectionEntry, "list entries", "片单条目"),
        (ModelVersion, "model versions", "模型版本"),
    ],
)
def test_model_names_are_translated(model, english, chinese):
    with translation.override("en"):
        assert str(model._meta.verbose_name_plural) == english
    with translation.override("zh-hans"):
        assert str(model._meta.verbose_name_plural) == chinese


def test_the_chinese_admin_shows_no_english_model_names_or_buttons(admin_client, admin_user):
    # given
    NotInterested.objects.create(user=admin_user, anime=AnimeFactory())

    # when
    index = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    versions = admin_client.get(
        "/admin/recsys/modelversion/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    marks = admin_client.get("/admin/recsys/notinterested/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    # then
    assert "Not interesteds" not in index
    assert "不感兴趣标记" in index
    assert "片单条目" in index
    assert "立即重新训练" in versions
    assert "Retrain now" not in versions
    assert "创建时间" in marks  # the column of created_at
    assert "Created at" not in marks
