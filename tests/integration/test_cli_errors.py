"""The first ten minutes: a wrong store or broker URL is one line and exit 2; serve refuses without credentials."""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hub.cli import app
from hub.cli_errors import hide_password
from hub.config import get_settings
from tests.conftest import POSTGRES_URL

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run in an empty folder with no AFSPRAKENHUB_* settings but the ones a test sets."""
    import os

    for key in [k for k in os.environ if k.startswith("AFSPRAKENHUB_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AFSPRAKENHUB_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> Result:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return runner.invoke(app, list(args))


def _one_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_hide_password() -> None:
    assert hide_password("postgresql+psycopg://hub:s3cret@db.example.nl:5432/hub") == \
        "postgresql+psycopg://hub:***@db.example.nl:5432/hub"
    assert hide_password("redis://:s3cret@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert hide_password("sqlite:///./afsprakenhub.db") == "sqlite:///./afsprakenhub.db"


@pytest.mark.parametrize("command", [["status"], ["db", "upgrade"], ["deliveries", "list"], ["purge"]])
def test_unreachable_postgres_is_one_line_without_the_password(monkeypatch: pytest.MonkeyPatch,
                                                               command: list[str]) -> None:
    url = f"postgresql+psycopg://nobody:s3cret-pw@127.0.0.1:{_closed_port()}/hub"
    line = _one_line(_run(monkeypatch, {"AFSPRAKENHUB_DATABASE_URL": url}, *command))
    assert line.startswith("error: cannot open the store postgresql+psycopg://nobody:***@127.0.0.1:")
    assert "s3cret-pw" not in line
    assert "refused" in line.lower() and "AFSPRAKENHUB_DATABASE_URL" in line and "--debug" in line


def test_missing_driver_names_it_and_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("MySQLdb") is not None:
        pytest.skip("MySQLdb is installed here: no missing driver to show")
    line = _one_line(_run(monkeypatch, {"AFSPRAKENHUB_DATABASE_URL": "mysql://hub:pw@127.0.0.1/hub"}, "status"))
    assert "'MySQLdb' is not installed" in line and "mysql://hub:***@127.0.0.1/hub" in line
    assert "pip install" in line


def test_unknown_kind_of_database(monkeypatch: pytest.MonkeyPatch) -> None:
    line = _one_line(_run(monkeypatch, {"AFSPRAKENHUB_DATABASE_URL": "nosuchdb://x/y"}, "status"))
    assert "'nosuchdb' is not a kind of database" in line


def test_missing_postgres_database_says_create_it(monkeypatch: pytest.MonkeyPatch) -> None:
    server = POSTGRES_URL  # read at start-up: this module's fixture clears AFSPRAKENHUB_* for each test
    if not server:
        pytest.skip("PostgreSQL not configured: set AFSPRAKENHUB_TEST_POSTGRES_URL")
    url = server.rsplit("/", 1)[0] + "/afsprakenhub_no_such_database"
    line = _one_line(_run(monkeypatch, {"AFSPRAKENHUB_DATABASE_URL": url}, "status"))
    assert "does not exist" in line and "createdb" in line


def test_sqlite_folder_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'hub.db'}"
    line = _one_line(_run(monkeypatch, {"AFSPRAKENHUB_DATABASE_URL": url}, "db", "upgrade"))
    assert "unable to open database file" in line and "folder exists" in line


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/hub"
    result = _run(monkeypatch, {"AFSPRAKENHUB_DATABASE_URL": url}, "--debug", "status")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "OperationalError" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: cannot open the store")


def test_unreachable_broker_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'hub.db'}"
    broker = f"redis://:s3cret-pw@127.0.0.1:{_closed_port()}/0"
    env = {"AFSPRAKENHUB_DATABASE_URL": store, "AFSPRAKENHUB_BROKER_URL": broker}
    assert _run(monkeypatch, env, "db", "upgrade").exit_code == 0
    for command in (["worker"], ["replay", "--status", "dead"]):
        line = _one_line(_run(monkeypatch, env, *command))
        assert line.startswith("error: cannot reach the broker redis://:***@127.0.0.1:"), line
        assert "s3cret-pw" not in line and "AFSPRAKENHUB_BROKER_URL" in line and "Redis running" in line


def test_status_before_any_schema_creates_no_database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(monkeypatch, {}, "status")  # the default store: ./afsprakenhub.db
    assert result.exit_code == 2 and "afsprakenhub db upgrade" in result.stderr
    assert not (tmp_path / "afsprakenhub.db").exists()
    assert list(tmp_path.iterdir()) == []


def test_serve_refuses_without_credentials_and_names_the_setting(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    env = {"AFSPRAKENHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    result = _run(monkeypatch, env, "serve", "--port", str(_closed_port()))
    assert result.exit_code == 2
    assert "AFSPRAKENHUB_API_TOKENS" in result.stderr and "AFSPRAKENHUB_JWT__JWKS_URL" in result.stderr
    assert "--trial" in result.stderr
    assert not (tmp_path / "hub.db").exists()  # refused before anything was opened


def test_serve_trial_warns_and_serves_with_a_one_off_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`--trial` starts with a printed token (not starting with `-`) and a warning; the token works."""
    import uvicorn

    served: dict[str, object] = {}

    def fake_run(server: uvicorn.Server, sockets: list[socket.socket]) -> None:
        served["app"] = server.config.app
        for s in sockets:
            s.close()

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    env = {"AFSPRAKENHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "AFSPRAKENHUB_CONSOLE__ENABLED": "false"}
    result = _run(monkeypatch, env, "serve", "--trial", "--port", str(_closed_port()))
    assert result.exit_code == 0, result.output
    assert "WARNING: TRIAL MODE" in result.stderr and "AFSPRAKENHUB_API_TOKENS" in result.stderr
    token = result.stderr.split("token: ", 1)[1].split()[0]
    assert not token.startswith("-") and len(token) >= 30
    from fastapi.testclient import TestClient

    with TestClient(served["app"]) as client:  # type: ignore[arg-type]
        assert client.get("/api/v1/deliveries", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/api/v1/deliveries", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_serve_with_a_token_does_not_refuse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets: [s.close() for s in sockets])
    env = {"AFSPRAKENHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "AFSPRAKENHUB_API_TOKENS": "ops:abc123",
           "AFSPRAKENHUB_CONSOLE__ENABLED": "false"}
    result = _run(monkeypatch, env, "serve", "--port", str(_closed_port()))
    assert result.exit_code == 0, result.output
    assert "TRIAL" not in result.output and "afsprakenhub on http://" in result.stdout
