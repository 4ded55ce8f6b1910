"""Console sessions end on logout and when the API token that opened them is revoked (issue 32, defect 7).

A copied session cookie is the attack: before the fix it kept working until it expired.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.console.auth import SESSION_COOKIE
from hub.console.settings import ConsoleSettings
from hub.store.tables import AuditRecord, ConsoleSession
from tests.conftest import TOKEN
from tests.integration.test_console_routes import OPS_TOKEN, csrf_of, login
from tests.support.flows import Recorder, registry_with

SECRET = SecretStr("console-session-secret-for-tests-0123456789")


@pytest.fixture
def console_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"console": ConsoleSettings(session_secret=SECRET)})


@pytest.fixture
def hub(console_settings: Settings) -> Iterator[Hub]:
    h = Hub(console_settings, registry=registry_with(Recorder()))
    yield h
    h.close()


def with_cookie(app_hub: Hub, cookie: str) -> int:
    """The status of the overview page for a browser that holds only this (copied) session cookie."""
    with TestClient(create_app(app_hub)) as other:
        return other.get("/console/", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
                         follow_redirects=False).status_code


def test_logout_ends_the_session_for_a_copied_cookie(hub: Hub) -> None:
    with TestClient(create_app(hub)) as browser:
        assert login(browser).status_code == 303
        copied = browser.cookies[SESSION_COOKIE]
        assert with_cookie(hub, copied) == 200  # the control: the copy works while the session is open
        page = browser.get("/console/")
        out = browser.post("/console/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
        assert out.status_code == 303
    assert with_cookie(hub, copied) == 303  # to the login page
    with hub.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(ConsoleSession)) == 0
        actions = s.scalars(select(AuditRecord.action).where(AuditRecord.actor == "console:ops")).all()
    assert actions == ["console-login", "console-logout"]


def test_removing_the_token_from_the_configuration_ends_its_sessions(hub: Hub, console_settings: Settings) -> None:
    with TestClient(create_app(hub)) as ops, TestClient(create_app(hub)) as tip:
        assert login(ops, OPS_TOKEN).status_code == 303
        assert login(tip, TOKEN).status_code == 303
        ops_cookie, tip_cookie = ops.cookies[SESSION_COOKIE], tip.cookies[SESSION_COOKIE]
    # The hub restarts with the ops token removed (same session secret, same store: the cookie still verifies).
    revoked = console_settings.model_copy(update={"api_tokens": SecretStr(f"tip:{TOKEN}")})
    restarted = Hub(revoked, registry=registry_with(Recorder()))
    try:
        assert with_cookie(restarted, ops_cookie) == 303
        assert with_cookie(restarted, tip_cookie) == 200  # a session of a token still configured goes on
        assert with_cookie(hub, ops_cookie) == 303  # ended in the store: gone on every node
    finally:
        restarted.close()


def test_a_session_the_store_does_not_hold_is_refused(hub: Hub) -> None:
    with TestClient(create_app(hub)) as browser:
        assert login(browser).status_code == 303
        cookie = browser.cookies[SESSION_COOKIE]
    assert with_cookie(hub, cookie) == 200
    assert with_cookie(hub, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")) == 303  # forged
    with hub.db.unit_of_work() as s:  # an operator clears every session (e.g. after a leak)
        s.execute(ConsoleSession.__table__.delete())
    assert with_cookie(hub, cookie) == 303
