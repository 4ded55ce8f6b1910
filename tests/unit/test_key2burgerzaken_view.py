"""The view's SQL: configured names, keyset paging, and that it compiles for Oracle (no Oracle needed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import oracle, postgresql, sqlite

from connectors.key2burgerzaken import Cursor, DocumentView, Key2BurgerzakenSettings, ViewColumns
from connectors.key2burgerzaken.client import error_for
from hub.errors import PermanentError, TransientError

WHEN = datetime(2027, 3, 1, 9, 0)


def configured() -> Key2BurgerzakenSettings:
    return Key2BurgerzakenSettings(schema_name="K2B_OWNER", view="VW_HUB_REISDOCUMENTEN",
                                   columns=ViewColumns(application_number="AANVR_NR", status_date="DAT_STATUS"))


def sql(query: object, dialect: object) -> str:
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]


def test_oracle_sql_compiles_for_the_configured_view() -> None:
    view = DocumentView(configured())
    text = sql(view.changed_since(WHEN, Cursor(WHEN, "A-1"), 500), oracle.dialect())
    assert 'FROM "K2B_OWNER"."VW_HUB_REISDOCUMENTEN"' in text
    assert '"AANVR_NR" AS application_number' in text and '"DAT_STATUS" AS status_date' in text
    assert "FETCH FIRST 500 ROWS ONLY" in text
    assert 'ORDER BY "K2B_OWNER"."VW_HUB_REISDOCUMENTEN"."DAT_STATUS"' in text
    for query in (view.in_status_between(["GEREED"], WHEN, WHEN), view.for_customer("999993653", ["PN", "NI"]),
                  view.probe()):
        compiled = str(query.compile(dialect=oracle.dialect()))
        assert '"VW_HUB_REISDOCUMENTEN"' in compiled and "SELECT" in compiled


def test_default_names_compile_on_every_backend() -> None:
    view = DocumentView(Key2BurgerzakenSettings())
    for dialect in (oracle.dialect(), postgresql.dialect(), sqlite.dialect()):
        text = str(view.changed_since(None, None, 10).compile(dialect=dialect))
        assert "VW_AFSPRAKENHUB_DOCUMENTEN" in text and "STATUSDATUM" in text and "WHERE" not in text


def test_keyset_cursor_continues_after_the_last_row() -> None:
    text = sql(DocumentView(configured()).changed_since(WHEN, Cursor(WHEN, "A-1"), 2), sqlite.dialect())
    assert "DAT_STATUS\" > '2027-03-01 09:00:00.000000'" in text
    assert "AANVR_NR\" > 'A-1'" in text


def test_only_selects() -> None:
    view = DocumentView(configured())
    for query in (view.changed_since(None, None, 1), view.for_customer("x", ["PN"])):
        assert str(query.compile(dialect=oracle.dialect())).lstrip().startswith("SELECT")


def test_database_errors_are_classified_without_sql_or_values() -> None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    down = OperationalError("SELECT … WHERE BSN = '999993653'", {"bsn": "999993653"}, ConnectionError("refused"))
    missing = ProgrammingError("SELECT …", None, Exception("ORA-00942: table or view does not exist"))
    assert isinstance(error_for("changed_since", down), TransientError)
    assert isinstance(error_for("changed_since", missing), PermanentError)
    assert "999993653" not in str(error_for("changed_since", down))
    sqlite_missing = OperationalError("SELECT", None, Exception("no such table: VW"))
    assert isinstance(error_for("check_view", sqlite_missing), PermanentError)
