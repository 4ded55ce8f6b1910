"""Shared fixtures: a fresh store per test on SQLite (default) or PostgreSQL, and hubs over it.

Back ends come from the environment, so the same suite runs on the embedded default and on servers:
- AFSPRAKENHUB_TEST_POSTGRES_URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test
- AFSPRAKENHUB_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/15
- AFSPRAKENHUB_TEST_RABBITMQ_URL, e.g. amqp://guest:guest@127.0.0.1:5672/%2F
- AFSPRAKENHUB_TEST_BACKEND=postgres makes the store fixtures use PostgreSQL instead of SQLite.
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hub import gc_pauses
from hub.bootstrap import Hub
from hub.config import Settings
from hub.logging import configure_logging
from hub.settings import RetrySettings
from hub.store.db import upgrade
from hub.store.tables import Base
from tests.support.flows import Recorder, registry_with

POSTGRES_URL = os.environ.get("AFSPRAKENHUB_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("AFSPRAKENHUB_TEST_REDIS_URL")
RABBITMQ_URL = os.environ.get("AFSPRAKENHUB_TEST_RABBITMQ_URL")
BACKEND = os.environ.get("AFSPRAKENHUB_TEST_BACKEND", "sqlite")

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def _not_serving() -> Iterator[None]:
    """A test that runs `afsprakenhub serve` in this process marks it as serving (hub/gc_pauses.py); the next
    test starts in a plain process again, nothing frozen."""
    yield
    gc_pauses.stop_serving()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"afsprakenhub store: {BACKEND}; postgres: {'set' if POSTGRES_URL else 'not set'}; "
            f"redis: {'set' if REDIS_URL else 'not set'}; rabbitmq: {'set' if RABBITMQ_URL else 'not set'}"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for every test (fast and exactly the Alembic schema)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """The URL of a PostgreSQL database of its own, without schema, dropped afterwards (skips if none is set)."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set AFSPRAKENHUB_TEST_POSTGRES_URL")
    name = f"afsprakenhub_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    with new_postgres_database() as url:
        upgrade(url)
        yield url


def _truncate(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated store for one test."""
    if BACKEND == "postgres":
        url: str = request.getfixturevalue("postgres_database")
        _truncate(url)
        return url
    path = tmp_path / "hub.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, broker_url="stub", api_tokens=f"tip:{TOKEN},ops:ops-token-987654321",
        retry=RetrySettings(max_attempts=4, base_seconds=0.01, max_seconds=0.05, lease_seconds=30,
                            sweep_interval_seconds=3600, sweep_grace_seconds=0),
        flow_modules=[], log_format="json",
    )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def hub(settings: Settings, recorder: Recorder) -> Iterator[Hub]:
    h = Hub(settings, registry=registry_with(recorder), worker_name="test-worker")
    yield h
    h.close()


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Structured JSON logs at DEBUG into a string, for tests that scan what the hub logs."""
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    yield stream
    configure_logging("INFO", "auto")
