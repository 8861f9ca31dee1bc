"""gapaudit.settings read from the environment: each case starts Django in a fresh
interpreter with a clean environment, since settings are read once at start-up
(and this process has pytest imported, which relaxes the SECRET_KEY rule)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

PROBE = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gapaudit.settings")
import django
django.setup()
from django.conf import settings
from gapaudit.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"), "port": db.get("PORT"),
    "eager": app.conf.task_always_eager, "broker": app.conf.broker_url,
    "cache": settings.CACHES["default"]["BACKEND"],
}))
"""


def start_django(**env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(BASE_DIR), **env}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def settings_with(**env: str) -> dict:
    result = start_django(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = start_django()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_starts_without_a_secret_key_in_debug():
    assert settings_with(DEBUG="1")["debug"] is True


def test_it_starts_with_a_secret_key_when_debug_is_off():
    assert settings_with(SECRET_KEY="not-a-real-key")["debug"] is False


def test_it_uses_sqlite_when_database_url_is_unset():
    found = settings_with(DEBUG="1")
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"] == str(BASE_DIR / "db.sqlite3")


def test_it_uses_postgresql_when_database_url_is_set():
    found = settings_with(DEBUG="1", DATABASE_URL="postgres://gap:secret@db.example:5433/gapaudit")
    assert found["engine"] == "django.db.backends.postgresql"
    assert (found["name"], found["host"], found["port"]) == ("gapaudit", "db.example", 5433)


def test_it_runs_tasks_eagerly_without_redis():
    found = settings_with(DEBUG="1")
    assert found["eager"] is True
    assert found["broker"] == "memory://localhost/"
    assert found["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_it_sends_tasks_to_redis_when_redis_url_is_set():
    found = settings_with(DEBUG="1", REDIS_URL="redis://cache.example:6379/0")
    assert found["eager"] is False
    assert found["broker"] == "redis://cache.example:6379/0"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
