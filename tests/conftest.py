"""Shared fixtures. Tests that need PostgreSQL, Redis, a Celery worker or a browser
skip when one is missing, and fail instead when GAPAUDIT_REQUIRE_SERVICES=1, as
.ci/run sets: in CI a missing service is a broken build, not a reason to pass."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
TEST_REDIS_URL = os.getenv("GAPAUDIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKER_START_TIMEOUT = 30.0


def services_required() -> bool:
    return os.getenv("GAPAUDIT_REQUIRE_SERVICES", "") == "1"


def _postgres_missing() -> str | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return f"PostgreSQL is required, the database engine is {connection.vendor} (set DATABASE_URL)"
    return None


def _redis_missing() -> str | None:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {TEST_REDIS_URL}: {exc}"
    return None


def _chromium_missing() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


def _playwright_missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


CHECKS: dict[str, Callable[[], str | None]] = {
    "postgresql": _postgres_missing,
    "redis": _redis_missing,
    "chromium": _chromium_missing,
    "playwright": _playwright_missing,
}


def require(*services: str) -> None:
    """Skip the test when a service is missing, or fail it under GAPAUDIT_REQUIRE_SERVICES=1."""
    for name in services:
        reason = CHECKS[name]()
        if reason:
            if services_required():
                pytest.fail(f"{reason} (GAPAUDIT_REQUIRE_SERVICES=1)", pytrace=False)
            pytest.skip(reason)


@pytest.fixture
def require_services() -> Callable[..., None]:
    """`require_services("postgresql", "redis")` at the top of a test."""
    return require


def _test_database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(s['NAME'], safe='')}"


class WorkerProcess:
    def __init__(self, process: subprocess.Popen, log_path: Path, conf: dict):
        self.process = process
        self.log_path = log_path
        self.conf = conf  # what the in-process app needs to send it tasks

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


CELERY_KEYS = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")


def _use_broker(app, **conf) -> dict:
    """Update the in-process Celery app's conf (CELERY_KEYS); return the old values.

    The app caches its broker pools, router and result backend on first use, so
    those caches are dropped too, or it would keep publishing to the old broker.
    """
    old = {key: app.conf[key] for key in CELERY_KEYS}
    app.conf.update(**conf)
    app.__dict__.pop("amqp", None)
    app._pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    return old


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup) -> Iterator[WorkerProcess]:
    """A real `celery worker` on the test database and Redis db 15, for the whole session.

    Started only when a test asks for it (through `celery_worker`). Its log is
    the worker's --logfile, so tests can read which tasks it ran.
    """
    from gapaudit.celery import app

    require("postgresql", "redis")
    # A queue and a name of its own, so that a worker of another test session on
    # the same Redis db can neither take this session's tasks nor answer its ping
    # (db 15 is not flushed: that would drop a concurrent session's tasks).
    token = uuid.uuid4().hex[:12]
    hostname = f"gapaudit-test-{token}@{socket.gethostname()}"
    worker_conf = {"broker_url": TEST_REDIS_URL, "result_backend": TEST_REDIS_URL,
                   "task_always_eager": False, "task_default_queue": f"gapaudit-test-{token}"}
    log_dir = Path(tempfile.mkdtemp(prefix="gapaudit-worker-"))
    log_path = log_dir / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": TEST_REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": "test",
        "DB_CONN_MAX_AGE": "0",  # no idle connection left to block the test DB's drop
    }
    celery_bin = BASE_DIR / ".venv" / "bin" / "celery"
    command = [str(celery_bin) if celery_bin.exists() else shutil.which("celery") or "celery"]
    command += ["-A", "gapaudit", "worker", "--pool=solo", "--loglevel=info",
                f"--logfile={log_path}", "--without-heartbeat", "--without-mingle", "--without-gossip",
                f"--hostname={hostname}", f"--queues={worker_conf['task_default_queue']}"]
    stderr_path = log_dir / "stderr.log"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )
    worker = WorkerProcess(process, log_path, worker_conf)
    old = {key: app.conf[key] for key in CELERY_KEYS}
    try:
        _use_broker(app, **worker_conf)
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                output = worker.log() + stderr_path.read_text(errors="replace")
                pytest.fail(f"the Celery worker did not answer ping:\n{output}", pytrace=False)
        _use_broker(app, **old)
        yield worker
    finally:
        _use_broker(app, **old)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(log_dir, ignore_errors=True)


@pytest.fixture
def celery_worker(celery_worker_process, settings) -> Iterator[WorkerProcess]:
    """Send this test's tasks to the real worker (not eagerly), with a short fold-in delay."""
    from gapaudit.celery import app

    settings.GAP_RECOMPUTE_DELAY = 0.5
    old = _use_broker(app, **celery_worker_process.conf)
    try:
        yield celery_worker_process
    finally:
        _use_broker(app, **old)


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Run tasks in-process for this test, whatever REDIS_URL said at start-up."""
    from gapaudit.celery import app

    old = _use_broker(app, broker_url="memory://", result_backend=None, task_always_eager=True)
    try:
        yield
    finally:
        _use_broker(app, **old)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def servqual_instrument(request) -> None:
    """Keep the SERVQUAL instrument of migration 0002 (and the scorecard templates of
    provider's 0002) in transactional tests.

    Such tests flush every table when they end, the rows of data migrations
    included, so the next one would find no instrument; recreating it here is
    cheaper and sturdier than serialized_rollback (whose reload clashes with
    the content types a flush recreates).
    """
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps
    from django.db import connection

    schema_editor = SimpleNamespace(connection=connection)
    migration = importlib.import_module("surveys.migrations.0002_servqual_instrument")
    migration.create_servqual(apps, schema_editor)
    # The shipped scorecard templates (call-centre call, service-hall visit) too.
    scorecards = importlib.import_module("provider.migrations.0002_scorecard_templates")
    scorecards.create_templates(apps, schema_editor)


@pytest.fixture(autouse=True)
def rate_limits_cleared() -> None:
    """Every test starts with no rate-limit counts (settings keep them in memory under pytest)."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    cache = caches["ratelimit"]
    if isinstance(cache, LocMemCache):
        cache.clear()


def pytest_report_header(config) -> str:
    return f"GAPAUDIT_REQUIRE_SERVICES={'1' if services_required() else '0'}, python {sys.version.split()[0]}"
