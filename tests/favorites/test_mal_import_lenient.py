"""MyAnimeList import that forgives: stray ``&`` and HTML entities, unusable entries skipped and
reported by line with their titles, an entry cap that fails fast, a stored job within MariaDB's
packet size, and an unreachable broker refused cleanly (never a job left pending)."""

from __future__ import annotations

import gzip
import json

import pytest
from kombu.exceptions import OperationalError as KombuOperationalError

from favorites import mal_import as mal
from favorites.mal_xml import (
    MAX_ENTRIES,
    MAX_REPORTED_SKIPPED,
    MAX_UPLOAD_BYTES,
    MalExportError,
    read_mal_export,
)
from favorites.models import CollectionEntry, ImportJob
from tests.factories import AnimeFactory
from tests.favorites.test_mal_import import mal_entry, mal_xml, upload

pytestmark = pytest.mark.django_db

MARIADB_MAX_PACKET = 16 * 1024 * 1024


def plain_title_entry(mal_id, title: str) -> str:
    """An entry whose title is outside CDATA, as some exports write it."""
    return mal_entry(mal_id).replace("<![CDATA[Some Anime]]>", title)


def test_unescaped_ampersand_outside_cdata_is_read_as_text():
    export = read_mal_export(mal_xml(plain_title_entry(1, "Tom & Jerry"), mal_entry(2)))
    assert [(e.mal_id, e.title) for e in export.entries] == [(1, "Tom & Jerry"), (2, "Some Anime")]
    assert export.skipped == []


def test_html_named_entity_outside_cdata_is_decoded():
    export = read_mal_export(mal_xml(plain_title_entry(1, "&Aring;ngstr&ouml;m &amp; Co &#233;")))
    assert export.entries[0].title == "Ångström & Co é"


def test_cdata_content_is_left_exactly_as_written():
    export = read_mal_export(mal_xml(mal_entry(1, title="A &amp; B & C &Aring;")))
    assert export.entries[0].title == "A &amp; B & C &Aring;"


def test_entity_tricks_are_still_refused_after_the_lenient_pass():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<myanimelist>&b;</myanimelist>"
    )
    with pytest.raises(MalExportError) as raised:
        read_mal_export(data)
    assert "DOCTYPE" in raised.value.errors[0]


def test_entries_without_a_usable_id_are_skipped_and_reported_by_line_with_title(
    user_client, user, django_capture_on_commit_callbacks
):
    AnimeFactory(mal_id=5)
    AnimeFactory(mal_id=6)
    data = mal_xml(
        mal_entry(5),
        mal_entry(0, title="Zero Id Show"),
        mal_entry(6, title="Tom & Jerry"),
        mal_entry("", title="No Id Show"),
        mal_entry(7, status="Finished", title="Odd Status Show"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(user_client, data)
    assert response.status_code == 202, response.json()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.summary["imported"] == 2
    assert job.summary["skipped"] == 3
    skipped = job.summary["skipped_entries"]
    assert [(s["title"], s["mal_id"]) for s in skipped] == [
        ("Zero Id Show", "0"),
        ("No Id Show", ""),
        ("Odd Status Show", "7"),
    ]
    lines = data.decode().splitlines()
    for entry in skipped:
        assert lines[entry["line"] - 1].strip() == "<anime>"
        assert entry["title"] in "\n".join(lines[entry["line"] : entry["line"] + 3])
        assert f"line {entry['line']}" in entry["message"]
    assert "series_animedb_id" in skipped[0]["reason"]
    assert set(CollectionEntry.objects.filter(user=user).values_list("anime__mal_id", flat=True)) == {5, 6}


def test_more_than_the_entry_cap_is_refused_with_a_clear_message(user_client):
    data = mal_xml(
        *[f"<anime><series_animedb_id>{i}</series_animedb_id></anime>" for i in range(1, MAX_ENTRIES + 2)]
    )
    response = upload(user_client, data)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_many_entries"
    assert "50,000" in body["message"]
    assert not ImportJob.objects.exists()


def test_530000_entry_gzip_fails_fast_with_a_clear_message(user_client):
    entry = b"<anime><series_animedb_id>1</series_animedb_id><my_status>1</my_status></anime>\n"
    raw = b"<myanimelist>\n" + entry * 530_000 + b"</myanimelist>\n"
    packed = gzip.compress(raw, compresslevel=9)
    assert len(packed) < MAX_UPLOAD_BYTES
    response = upload(user_client, packed, name="animelist.xml.gz")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_entries"
    assert not ImportJob.objects.exists()


def test_a_full_size_export_is_stored_within_the_database_packet(user, django_capture_on_commit_callbacks):
    # 50,000 entries with the longest non-ASCII titles, half of them unusable (reported).
    title = "進撃の巨人" * 30
    entries = [
        f"<anime><series_animedb_id>{i if i % 2 else 0}</series_animedb_id>"
        f"<series_title><![CDATA[{title}]]></series_title><my_status>2</my_status><my_score>7</my_score>"
        f"<my_last_updated>1600000000</my_last_updated></anime>\n"
        for i in range(1, MAX_ENTRIES + 1)
    ]
    data = gzip.compress(mal_xml(*entries))
    assert len(data) < MAX_UPLOAD_BYTES
    from io import BytesIO

    with django_capture_on_commit_callbacks(execute=True):
        job = mal.mal_import_start(user=user, upload=BytesIO(data), filename="big.xml", size=len(data))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert job.total == MAX_ENTRIES // 2
    assert job.summary["skipped"] == MAX_ENTRIES // 2
    assert len(job.summary["skipped_entries"]) == MAX_REPORTED_SKIPPED
    stored = len(json.dumps(job.entries)) + len(json.dumps(job.summary))
    assert stored < MARIADB_MAX_PACKET / 2


@pytest.mark.django_db(transaction=True)
def test_import_refused_cleanly_when_the_broker_is_unreachable(user_client, user, monkeypatch):
    from favorites import tasks

    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.mal_import_run, "apply_async", broker_down)
    AnimeFactory(mal_id=1)
    response = upload(user_client, mal_xml(mal_entry(1)))
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "import_queue_unavailable"
    job = ImportJob.objects.get(pk=body["extra"]["job_id"])
    assert job.status == ImportJob.Status.FAILED
    assert not ImportJob.objects.filter(status=ImportJob.Status.PENDING).exists()
    assert not CollectionEntry.objects.exists()
