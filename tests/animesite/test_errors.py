"""Errors never leak: the JSON error format everywhere under /api/, 500 included, with an error id
that is in the log; plain pages elsewhere; 503 + Retry-After while the database is unreachable;
bodies nested or sized beyond the limits are 400s."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from tests.animesite.error_urls import DATABASE_PASSWORD_SENTINEL

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.animesite.error_urls")]


def _no_leak(content: bytes) -> None:
    text = content.decode("utf-8", "replace")
    assert DATABASE_PASSWORD_SENTINEL not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert "DATABASES" not in text


def test_api_500_is_json_with_a_logged_error_id(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="animesite.errors"):
        response = client.get("/api/test-broken/")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == "server_error"
    error_id = body["extra"]["error_id"]
    assert len(error_id) == 32
    assert error_id in body["message"]
    assert any(error_id in record.getMessage() and record.exc_info for record in caplog.records)
    _no_leak(response.content)


def test_api_500_outside_drf_is_json_too(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="animesite.errors"):
        response = client.get("/api/test-broken-plain/")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server_error"
    assert any(body["extra"]["error_id"] in record.getMessage() for record in caplog.records)
    _no_leak(response.content)


def test_page_500_is_a_plain_page_without_traceback(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="animesite.errors"):
        response = client.get("/test-broken-page/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/plain")
    _no_leak(response.content)
    error_id = response.content.decode().strip().rsplit(" ", 1)[-1]
    assert any(error_id in record.getMessage() for record in caplog.records)


def test_database_unreachable_is_503_json_with_retry_after():
    client = Client(raise_request_exception=False)
    response = client.post("/api/test-broken/", data="{}", content_type="application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert body["extra"] == {"retry_after": 5}


def _csrf_client() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.get("/api/auth/me/")
    return client, client.cookies["csrftoken"].value


def test_deeply_nested_json_to_login_is_400_not_500():
    client, token = _csrf_client()
    body = '{"username": ' + "[" * 100_000 + "]" * 100_000 + ', "password": "x"}'
    response = client.post(
        "/api/auth/login/", data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested" in response.json()["message"]


def test_nesting_within_the_limit_still_parses_to_a_field_error():
    client, token = _csrf_client()
    body = json.dumps({"username": [[["a"]]], "password": "x"})
    response = client.post(
        "/api/auth/login/", data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 400
    assert "username" in response.json()["extra"]["fields"]


def test_oversized_json_body_is_400(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client, token = _csrf_client()
    body = json.dumps({"username": "a" * 20_000, "password": "x"})
    response = client.post(
        "/api/auth/login/", data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 400
    assert (
        "DATA_UPLOAD_MAX_MEMORY_SIZE" in response.json()["message"]
        or "larger than" in response.json()["message"]
    )


def test_malformed_json_is_400():
    client, token = _csrf_client()
    response = client.post(
        "/api/auth/login/", data='{"username": NaN', content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
