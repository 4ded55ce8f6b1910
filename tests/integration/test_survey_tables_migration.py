"""Revision 0009_surveys moves the survey batches and respondents out of the link table, and back, with data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Executable, create_engine, insert, select, text

from hub.store.db import Database, alembic_config, upgrade
from hub.store.survey_tables import SurveyBatchRow as B
from hub.store.survey_tables import SurveyRespondentRow as R
from hub.store.surveys import SurveyStore
from hub.store.tables import Link
from tests.conftest import new_postgres_database

AT = datetime(2027, 3, 2, 5, 0, tzinfo=UTC)
KEY = "ab" * 32
#: As the flow wrote them before 0009: a delivered batch, a respondent, a candidate (which stays in links).
OLD_ROWS: list[dict[str, Any]] = [
    {"appointment_id": "batch:2027-03-01", "peer": "kcm:batch", "remote_id": "kcm_20270301.csv", "last_version": None,
     "content_hash": "c" * 64, "data": {"count": 2, "deliveredAt": AT.isoformat()}, "updated_at": AT},
    {"appointment_id": f"respondent:{KEY}", "peer": "kcm:respondent", "remote_id": "2027-03-01",
     "last_version": None, "content_hash": None, "data": None, "updated_at": AT},
    {"appointment_id": "A-1", "peer": "kcm:candidate", "remote_id": "kcm_20270301.csv", "last_version": 5,
     "content_hash": "d" * 64, "data": {"state": "invited", "visitDate": "2027-03-01"}, "updated_at": AT},
]


@pytest.fixture(params=["sqlite", "postgres"])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet: a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with new_postgres_database() as url:
        yield url


def _links(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(Link.__table__).order_by(Link.peer)).mappings()]
    engine.dispose()
    return rows


def _rows(url: str, query: Executable) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    engine.dispose()
    return rows


def test_upgrade_moves_batches_and_respondents_and_downgrade_brings_them_back(empty_store: str) -> None:
    url = empty_store
    upgrade(url, revision="0008_gate")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Link.__table__), OLD_ROWS)
    engine.dispose()
    before = _links(url)

    upgrade(url)
    assert [r["peer"] for r in _links(url)] == ["kcm:candidate"]
    assert _rows(url, select(B.visit_date, B.file_name, B.sha256, B.invitations)) == [
        (date(2027, 3, 1), "kcm_20270301.csv", "c" * 64, 2)]
    assert _rows(url, select(R.respondent_key, R.last_invited)) == [(KEY, date(2027, 3, 1))]
    db = Database(url)
    try:
        store = SurveyStore(db, lambda: AT)
        batch = store.batch(date(2027, 3, 1))
        assert batch is not None and (batch.file_name, batch.sha256, batch.count) == ("kcm_20270301.csv", "c" * 64, 2)
        assert store.last_invited([KEY, "ef" * 32]) == {KEY: date(2027, 3, 1)}
        assert _rows(url, select(B.delivered_at, B.updated_at)) == [(AT, AT)]
    finally:
        db.dispose()

    command.downgrade(alembic_config(url), "0008_gate")
    assert _links(url) == before
    assert _rows(url, text("SELECT count(*) FROM links WHERE peer LIKE 'kcm:%'")) == [(3,)]
