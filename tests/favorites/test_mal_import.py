"""MyAnimeList list import: parsing guards, status/score mapping, conflicts, a failed batch
leaves nothing of itself."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from activity.models import Interaction, Source
from favorites import mal_import as mal
from favorites import services
from favorites.mal_import import mal_import_execute
from favorites.mal_xml import MAX_UPLOAD_BYTES, MAX_XML_BYTES, MalExportError, parse_mal_export
from favorites.models import CollectionEntry, ImportJob
from favorites.services import collection_entry_upsert
from tests.factories import AnimeFactory, UserFactory

pytestmark = pytest.mark.django_db

T_2019 = int(datetime(2019, 5, 1, tzinfo=UTC).timestamp())
T_2021 = int(datetime(2021, 3, 1, tzinfo=UTC).timestamp())


def mal_entry(mal_id, status="Completed", score=0, last_updated=T_2019, title="Some Anime") -> str:
    updated = "" if last_updated is None else f"<my_last_updated>{last_updated}</my_last_updated>"
    return f"""
  <anime>
    <series_animedb_id>{mal_id}</series_animedb_id>
    <series_title><![CDATA[{title}]]></series_title>
    <series_type>TV</series_type>
    <series_episodes>12</series_episodes>
    <my_id>0</my_id>
    <my_watched_episodes>12</my_watched_episodes>
    <my_start_date>0000-00-00</my_start_date>
    <my_finish_date>0000-00-00</my_finish_date>
    <my_score>{score}</my_score>
    <my_status>{status}</my_status>
    <my_comments><![CDATA[]]></my_comments>
    <my_times_watched>0</my_times_watched>
    {updated}
    <update_on_import>1</update_on_import>
  </anime>"""


def mal_xml(*entries: str, export_type: int = 1) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n  <myinfo>\n'
        "    <user_id>1</user_id>\n    <user_name>someone</user_name>\n"
        f"    <user_export_type>{export_type}</user_export_type>\n  </myinfo>"
        + "".join(entries)
        + "\n</myanimelist>\n"
    ).encode()


def upload(client, data: bytes, name: str = "animelist.xml", **extra):
    return client.post(
        "/api/collection/import/",
        {"file": SimpleUploadedFile(name, data, content_type="application/xml"), **extra},
        format="multipart",
    )


def test_parser_maps_statuses_text_and_numeric_and_score_zero_is_no_score():
    # given
    data = mal_xml(
        mal_entry(1, "Watching", 7),
        mal_entry(2, "Completed", 10),
        mal_entry(3, "On-Hold", 0),
        mal_entry(4, "Dropped", 2),
        mal_entry(5, "Plan to Watch", 0, last_updated=None),
        mal_entry(6, "1"),
        mal_entry(7, "2"),
        mal_entry(8, "3"),
        mal_entry(9, "4"),
        mal_entry(10, "6"),
    )

    # when
    entries = parse_mal_export(data)

    # then
    assert [(e.mal_id, e.status, e.score) for e in entries] == [
        (1, "watching", 7),
        (2, "completed", 10),
        (3, "on_hold", None),
        (4, "dropped", 2),
        (5, "want_to_watch", None),
        (6, "watching", None),
        (7, "completed", None),
        (8, "on_hold", None),
        (9, "dropped", None),
        (10, "want_to_watch", None),
    ]
    assert entries[0].last_updated == T_2019
    assert entries[4].last_updated is None


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (mal_xml(mal_entry(1, "Finished")), "unknown my_status"),
        (mal_xml(mal_entry(1, "5")), "unknown my_status"),
        (mal_xml(mal_entry(1, score=11)), "my_score"),
        (mal_xml(mal_entry("abc")), "series_animedb_id"),
        (mal_xml(mal_entry(1), export_type=2), "manga"),
        (b"<html><body>not a list</body></html>", "not a MyAnimeList export"),
        (mal_xml(mal_entry(1))[:-40], "not well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<myanimelist>&lol2;</myanimelist>",
            "DOCTYPE",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><myanimelist/>',
            "DOCTYPE",
        ),
    ],
)
def test_parser_rejects_bad_files_with_a_clear_message(data, fragment):
    # when
    with pytest.raises(MalExportError) as raised:
        parse_mal_export(data)

    # then
    assert fragment in " ".join(raised.value.errors)


def test_good_file_imports_entries_reports_unknown_ids_and_records_events(
    user_client, user, django_capture_on_commit_callbacks
):
    # given
    a = AnimeFactory(mal_id=5114)
    b = AnimeFactory(mal_id=9253)
    c = AnimeFactory(mal_id=1535)
    hidden = AnimeFactory(mal_id=777, is_hidden=True)
    data = mal_xml(
        mal_entry(a.mal_id, "Completed", 10),
        mal_entry(b.mal_id, "Watching", 0),
        mal_entry(c.mal_id, "Plan to Watch", 0),
        mal_entry(424242, "Completed", 8),
        mal_entry(hidden.mal_id, "Dropped", 3),
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(user_client, data)

    # then
    assert response.status_code == 202
    job_id = response.json()["id"]
    job = user_client.get(f"/api/collection/import/{job_id}/").json()
    assert job["status"] == "succeeded"
    assert job["progress"] == 1.0
    summary = job["summary"]
    assert (summary["total"], summary["imported"], summary["updated"], summary["unchanged"]) == (5, 3, 0, 0)
    assert summary["unknown"] == 2
    assert sorted(summary["unknown_ids"]) == [777, 424242]
    rows = {
        e.anime_id: (e.status, e.score, e.source)
        for e in CollectionEntry.objects.filter(user=user).order_by("id")
    }
    assert rows == {
        a.id: ("completed", 10, Source.MAL_IMPORT),
        b.id: ("watching", None, Source.MAL_IMPORT),
        c.id: ("want_to_watch", None, Source.MAL_IMPORT),
    }
    events = Interaction.objects.filter(user=user).order_by("id")
    assert [(e.anime_id, e.kind, e.score, e.source) for e in events] == [
        (a.id, "list", 10, "mal_import"),
        (b.id, "list", None, "mal_import"),
        (c.id, "list", None, "mal_import"),
    ]
    assert events[0].occurred_at == datetime.fromtimestamp(T_2019, tz=UTC)


def test_gzipped_export_is_accepted(user_client, user, django_capture_on_commit_callbacks):
    # given
    anime = AnimeFactory(mal_id=20)
    data = gzip.compress(mal_xml(mal_entry(anime.mal_id, "Dropped", 4)))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(user_client, data, name="animelist.xml.gz")

    # then
    assert response.status_code == 202
    entry = CollectionEntry.objects.get(user=user, anime=anime)
    assert (entry.status, entry.score) == ("dropped", 4)


def test_score_zero_never_clears_a_site_score_and_reimport_is_unchanged(
    user_client, user, django_capture_on_commit_callbacks
):
    # given: the user scored it here before their MAL entry last changed
    anime = AnimeFactory(mal_id=30)
    collection_entry_upsert(user=user, anime=anime, status="watching", score=8)
    CollectionEntry.objects.filter(user=user).update(updated_at=datetime(2018, 1, 1, tzinfo=UTC))
    data = mal_xml(mal_entry(anime.mal_id, "Completed", 0, last_updated=T_2019))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(user_client, data).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(user_client, data).json()["id"]

    # then
    entry = CollectionEntry.objects.get(user=user, anime=anime)
    assert (entry.status, entry.score) == ("completed", 8)
    assert ImportJob.objects.get(pk=first).summary["updated"] == 1
    assert ImportJob.objects.get(pk=second).summary["unchanged"] == 1
    assert not Interaction.objects.filter(user=user, kind="rate").exclude(score=8).exists()


def test_newer_site_entries_are_reported_as_conflicts_and_kept_unless_overwrite(
    user_client, user, django_capture_on_commit_callbacks
):
    # given: changed on this site now, the MAL entry last changed in 2021
    newer = AnimeFactory(mal_id=40)
    older = AnimeFactory(mal_id=41)
    collection_entry_upsert(user=user, anime=newer, status="watching", score=6)
    collection_entry_upsert(user=user, anime=older, status="watching", score=6)
    CollectionEntry.objects.filter(anime=older).update(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    data = mal_xml(
        mal_entry(newer.mal_id, "Completed", 9, last_updated=T_2021),
        mal_entry(older.mal_id, "Completed", 9, last_updated=T_2021),
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        skipped_id = upload(user_client, data).json()["id"]
    skipped = ImportJob.objects.get(pk=skipped_id)

    # then
    assert (skipped.summary["updated"], skipped.summary["conflicts"]) == (1, 1)
    conflict = skipped.summary["conflict_entries"][0]
    assert (conflict["mal_id"], conflict["reason"]) == (40, "site_entry_newer")
    assert conflict["site"] == {"status": "watching", "score": 6}
    assert CollectionEntry.objects.get(user=user, anime=newer).score == 6
    assert CollectionEntry.objects.get(user=user, anime=older).score == 9

    # when: the user asks for the file to win
    with django_capture_on_commit_callbacks(execute=True):
        forced_id = upload(user_client, data, on_conflict="overwrite").json()["id"]
    forced = ImportJob.objects.get(pk=forced_id)

    # then
    assert (forced.summary["updated"], forced.summary["overwritten"], forced.summary["conflicts"]) == (
        1,
        1,
        0,
    )
    assert CollectionEntry.objects.get(user=user, anime=newer).score == 9


def test_entry_without_a_timestamp_never_overwrites_a_different_site_entry(
    user_client, user, django_capture_on_commit_callbacks
):
    # given
    anime = AnimeFactory(mal_id=50)
    collection_entry_upsert(user=user, anime=anime, status="dropped")
    data = mal_xml(mal_entry(anime.mal_id, "Completed", 7, last_updated=None))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        job_id = upload(user_client, data).json()["id"]
    job = ImportJob.objects.get(pk=job_id)

    # then
    assert job.summary["conflict_entries"][0]["reason"] == "no_mal_timestamp"
    assert CollectionEntry.objects.get(user=user, anime=anime).status == "dropped"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (mal_xml(mal_entry(1))[:-30], "invalid_file"),
        (b"", "invalid"),
        (b"\x1f\x8b\x08\x00garbage", "invalid_file"),
        (gzip.compress(mal_xml(mal_entry(1)))[:-12], "invalid_file"),
    ],
)
def test_malformed_files_are_400_and_nothing_is_stored(user_client, user, data, code):
    # given
    AnimeFactory(mal_id=1)

    # when
    response = upload(user_client, data)

    # then
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert "file" in body["extra"]["fields"]
    assert not ImportJob.objects.exists()
    assert not CollectionEntry.objects.exists()


def test_oversized_upload_is_refused():
    # given
    user = UserFactory()
    data = mal_xml(mal_entry(1)) + b" " * MAX_UPLOAD_BYTES

    # when
    client = APIClient()
    client.force_authenticate(user)
    response = upload(client, data)

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert not ImportJob.objects.exists()


def test_gzip_bomb_is_refused_after_the_decompressed_limit(user_client):
    # given: a few dozen kB that inflate past the limit
    bomb = gzip.compress(
        b"<myanimelist>" + b" " * (MAX_XML_BYTES + 1024) + b"</myanimelist>", compresslevel=9
    )
    assert len(bomb) < MAX_UPLOAD_BYTES

    # when
    response = upload(user_client, bomb, name="animelist.xml.gz")

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert not ImportJob.objects.exists()


def test_a_failure_midway_imports_nothing_and_marks_the_job_failed(user, monkeypatch):
    # given
    anime = [AnimeFactory(mal_id=60 + i) for i in range(4)]
    job = mal.mal_import_start(
        user=user,
        upload=io.BytesIO(mal_xml(*[mal_entry(a.mal_id, "Completed", 7) for a in anime])),
        filename="animelist.xml",
        size=None,
    )
    real_record = services.events_record

    def failing_record(**kwargs):
        real_record(**kwargs)
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "events_record", failing_record)

    # when
    result = mal_import_execute(job_id=job.pk)

    # then
    assert result is not None
    assert result.status == ImportJob.Status.FAILED
    assert result.error.startswith("The import stopped after 0 of 4 entries")
    assert "database went away" not in result.error  # the cause is logged, never shown
    assert not CollectionEntry.objects.filter(user=user).exists()
    assert not Interaction.objects.filter(user=user).exists()


def test_running_a_finished_job_again_does_nothing(user, django_capture_on_commit_callbacks):
    # given
    anime = AnimeFactory(mal_id=70)
    with django_capture_on_commit_callbacks(execute=True):
        job = mal.mal_import_start(
            user=user, upload=io.BytesIO(mal_xml(mal_entry(anime.mal_id))), filename="a.xml", size=None
        )

    # when
    again = mal_import_execute(job_id=job.pk)

    # then
    assert again is not None and again.status == ImportJob.Status.SUCCEEDED
    assert Interaction.objects.filter(user=user).count() == 1


def test_a_user_cannot_see_another_users_import(user_client, django_capture_on_commit_callbacks):
    # given
    other = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        job = mal.mal_import_start(user=other, upload=io.BytesIO(mal_xml()), filename="a.xml", size=None)

    # when
    response = user_client.get(f"/api/collection/import/{job.pk}/")

    # then
    assert response.status_code == 404
