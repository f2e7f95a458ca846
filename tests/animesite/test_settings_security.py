"""Settings that keep secrets secret: production refuses weak keys and empty hosts, `make run`
serves with DEBUG off and this installation's own key, `check --deploy` reports only what the
README explains (W021: HSTS preload is opt-in)."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from animesite.env import BASE_DIR, install_secret_key, secret_key_problem

STRONG_KEY = secrets.token_urlsafe(60)


def _django(settings_module: str, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update({"DJANGO_SETTINGS_MODULE": settings_module, **env})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("key", "hosts", "message"),
    [
        ("", "anime.example", "DJANGO_SECRET_KEY is not set"),
        ("change-me", "anime.example", "published example key"),
        ("local-dev-only-insecure-key", "anime.example", "published example key"),
        ("short-but-random-7f3a", "anime.example", "at least 50 characters"),
        ("a" * 60, "anime.example", "at least 50 characters"),
        (STRONG_KEY, "", "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start(key, hosts, message):
    result = _django(
        "animesite.settings.production", "print('started')", DJANGO_SECRET_KEY=key, DJANGO_ALLOWED_HOSTS=hosts
    )
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_check_deploy_reports_only_the_documented_preload_warning():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DJANGO_SETTINGS_MODULE": "animesite.settings.production",
            "DJANGO_SECRET_KEY": STRONG_KEY,
            "DJANGO_ALLOWED_HOSTS": "anime.example",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    found = sorted({word.strip("():") for word in output.split() if word.startswith("(security.")})
    assert found == ["security.W021"], output
    assert "1 issue" in output


def test_served_settings_run_with_debug_off_and_the_installation_key():
    result = _django(
        "animesite.settings.local",
        "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)",
    )
    assert result.returncode == 0, result.stderr
    debug, key = result.stdout.strip().split(" ", 1)
    assert debug == "False"
    assert secret_key_problem(key) is None
    assert key == (BASE_DIR / "var" / "secret_key").read_text().strip()


def test_debug_only_when_asked_for():
    result = _django(
        "animesite.settings.local",
        "from django.conf import settings; print(settings.DEBUG)",
        DJANGO_DEBUG="true",
    )
    assert result.stdout.strip() == "True"


def test_weak_environment_key_outside_production_is_replaced_by_the_installation_key():
    result = _django(
        "animesite.settings.local",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        DJANGO_SECRET_KEY="change-me",
    )
    assert result.stdout.strip() != "change-me"
    assert secret_key_problem(result.stdout.strip()) is None


def test_run_script_serves_with_debug_off():
    script = (BASE_DIR / "scripts" / "run.sh").read_text()
    assert "DJANGO_DEBUG=${DJANGO_DEBUG:-false}" in script
    assert "DJANGO_DEBUG=true" not in (BASE_DIR / ".env.example").read_text()
    assert "change-me" not in (BASE_DIR / ".env.example").read_text()


def test_installation_key_is_generated_once_and_private(tmp_path: Path):
    path = tmp_path / "var" / "secret_key"
    first = install_secret_key(path)
    assert secret_key_problem(first) is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert install_secret_key(path) == first
    assert install_secret_key(tmp_path / "other") != first
