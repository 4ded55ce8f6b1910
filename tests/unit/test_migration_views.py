"""What plan and reconcile compare, read from JSON: the same appointment gives the same text on both sides."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectors.register.calls import parse_raw_page as parse_page
from connectors.register.errors import PermanentError
from hub.model import Appointment
from migration import db, views
from migration.db import Staging, planned, register
from migration.readback import row_of

APPOINTMENT = Appointment.model_validate({
    "id": "jcc:7", "version": 1, "status": "booked", "start": "2027-03-28T10:00:00+02:00",
    "end": "2027-03-28T10:20:00+02:00", "location": {"id": "LOC-KONINGSPLEIN"},
    "products": [{"code": "PAS", "quantity": 2}, {"code": "ID", "quantity": 1}],
    "customer": {"bsn": "999993653", "lastName": "Jansen", "email": "j@example.nl", "birthDate": "1980-01-28"},
    "externalId": "jcc:7", "migrated": True})


def test_the_planned_body_and_the_registers_answer_give_the_same_view_text() -> None:
    planned = views.view_and_day(views.orjson.loads(APPOINTMENT.model_dump_json(by_alias=True)))
    answered = {**APPOINTMENT.wire(), "id": "AFS-1", "version": 3, "updatedAt": "2027-01-01T00:00:00Z",
                "start": "2027-03-28T08:00:00Z", "end": "2027-03-28T08:20:00+00:00"}  # other offsets, same instants
    assert views.dump_view(planned[0]) == views.dump_view(views.view_of(answered))
    assert planned[1] == views.local_day(answered) == "2027-03-28"
    assert planned[0]["start"] == "2027-03-28T08:00:00+00:00" and planned[0]["durationMinutes"] == "20"
    assert planned[0]["products"] == "ID*1;PAS*2" and planned[0]["customer.birthDate"] == "1980-01-28"
    moved = {**answered, "start": "2027-03-28T09:00:00Z"}
    assert views.dump_view(views.view_of(moved)) != views.dump_view(planned[0])


def test_a_malformed_answer_is_a_view_that_differs_not_a_crash() -> None:
    view, day = views.view_and_day({"externalId": "jcc:7", "start": "tomorrow", "end": None, "products": "PAS",
                                    "customer": ["not", "an", "object"], "location": None})
    assert view["start"] == "(not a time: tomorrow)" and day is None
    assert view["durationMinutes"] == view["products"] == view["location"] == view["customer.bsn"] == ""
    assert views.local_day({"start": "2027-03-28T10:00:00"}) is None  # no offset: no instant


def test_read_back_keeps_converted_appointments_as_answered() -> None:
    wire = {**APPOINTMENT.wire(), "id": "AFS-1", "updatedAt": "2027-01-01T00:00:00Z"}
    row = row_of(wire)
    assert row is not None and row["register_id"] == "AFS-1" and row["external_id"] == "jcc:7"
    assert views.orjson.loads(row["body"]) == wire and row["day"] == "2027-03-28"
    assert row_of({**wire, "externalId": "other:1"}) is None and row_of({**wire, "externalId": None}) is None


def test_a_page_that_is_not_one_is_refused_with_the_reason() -> None:
    assert parse_page("list", b'{"items": [{"id": "A"}], "next": "c2"}', "c1") == ([{"id": "A"}], "c2")
    for body, why in ((b"<html>", "not JSON"), (b'{"items": {}}', "items"), (b'{"items": [1]}', "items"),
                      (b'{"items": [], "next": 5}', "next"), (b'{"items": [], "next": "c1"}', "does not advance")):
        with pytest.raises(PermanentError, match=why):
            parse_page("list", body, "c1")


def test_insert_many_writes_and_replaces_by_primary_key(tmp_path: Path) -> None:
    staging = Staging(f"sqlite:///{tmp_path}/s.db")
    rows = [{"register_id": f"R{n}", "external_id": f"jcc:{n}", "day": None, "view": "{}", "body": "{}"}
            for n in range(3)]
    with staging.engine.begin() as conn:
        staging.insert_many(conn, register, rows, replace=True)
        staging.insert_many(conn, register, [{**rows[1], "view": '{"a":"b"}'}], replace=True)
    with staging.engine.connect() as conn:
        assert [(r.register_id, r.view) for r in conn.execute(register.select().order_by(register.c.register_id))] \
            == [("R0", "{}"), ("R1", '{"a":"b"}'), ("R2", "{}")]
    assert db._values_of(("b", "a"))({"a": 1, "b": 2}) == (2, 1)
    assert db._values_of(("a",))({"a": 1, "b": 2}) == (1,)  # one column: still a one-value row for the driver
    with staging.engine.begin() as conn, pytest.raises(ValueError, match="every column with a default"):
        staging.insert_many(conn, planned, [{"external_id": "jcc:1", "app_id": "1", "outcome": "ok",
                                             "action": "create"}])
    staging.close()


def _reference_products(value: object) -> str:
    if not isinstance(value, list):
        return ""
    items = [views._obj(p) for p in value]
    return ";".join(sorted(f"{views._text(p.get('code'))}*{views._text(p.get('quantity') or 1)}" for p in items))


def _reference_view(wire: views.Wire) -> tuple[views.View, str | None]:
    """The view as it was written before its fast path: one `_text` call per field, the end parsed each time."""
    raw_start = wire.get("start")
    start = views._moment(raw_start)
    end = views._moment(wire.get("end"))
    c = views._obj(wire.get("customer"))
    text = views._text
    view = {"start": start.astimezone(views.UTC).isoformat() if start else f"(not a time: {text(raw_start)})",
            "durationMinutes": "" if start is None or end is None else str(int((end - start).total_seconds() // 60)),
            "location": text(views._obj(wire.get("location")).get("id")), "products": _reference_products(
                wire.get("products")), "status": text(wire.get("status")),
            "employee": text(views._obj(wire.get("employee")).get("id")),
            "caseReference": text(wire.get("caseReference"))}
    for key in ("bsn", "birthDate", "initials", "firstName", "lastNamePrefix", "lastName", "email", "phone"):
        view[f"customer.{key}"] = text(c.get(key))
    day = start.astimezone(views.AMSTERDAM).date().isoformat() if start else None
    return view, day


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False), st.text(max_size=4),
                     st.sampled_from(["2027-03-28T10:00:00+02:00", "2027-03-28T08:20:00Z", "2027-03-28T10:00:00",
                                      "2027-10-31T02:30:00+01:00", "tomorrow", ""]))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(
    st.sampled_from(["id", "code", "quantity", "bsn", "email", "lastName"]), inner, max_size=3), max_leaves=6)
_wires = st.fixed_dictionaries({}, optional={k: _values for k in (
    "start", "end", "status", "caseReference", "location", "employee", "products", "customer")})


@settings(max_examples=400, deadline=None)
@given(_wires)
def test_the_view_is_the_same_as_the_plain_field_by_field_one(wire: dict[str, object]) -> None:
    assert views.view_and_day(wire) == _reference_view(wire)


def test_the_view_of_a_real_appointment_is_the_same_as_the_plain_one() -> None:
    wire = APPOINTMENT.wire()
    for changed in ({}, {"end": "2027-03-28T08:20:00Z"}, {"end": 5}, {"end": "2027-03-28T10:20:00"},
                    {"customer": {**wire["customer"], "phone": 612345678, "initials": True}}):
        assert views.view_and_day({**wire, **changed}) == _reference_view({**wire, **changed})


_texts = st.lists(st.sampled_from(['a', '"', ",", ":", "\\", "{", "}", " ", "é", ',"location":', ',"start":']),
                  max_size=5).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_texts, _texts, _texts, _texts), min_size=2, max_size=4))
def test_reconcile_groups_views_by_their_location_and_products_only(fields: list[tuple[str, ...]]) -> None:
    from migration.reconcile import _cells_key

    texts = [views.dump_view({**views.view_of(APPOINTMENT.wire()), "location": loc, "products": products,
                              "customer.lastName": name, "start": start}) for loc, products, name, start in fields]
    for (a, text_a) in zip(fields, texts, strict=True):
        for (b, text_b) in zip(fields, texts, strict=True):
            assert (_cells_key(text_a) == _cells_key(text_b)) == (a[:2] == b[:2])
    assert _cells_key('{"location":"X"}') == '{"location":"X"}'  # not a view as dump_view writes it: all of it


def _stream_rows_match_stream_query(url: str) -> None:
    staging = Staging(url)
    keys = ["jcc:b", "jcc:a", "jcc:B", "jcc:10", "jcc:9", "jcc:é", "jcc:a-1"]
    with staging.engine.begin() as conn:
        staging.insert_many(conn, register, [{"register_id": f"R-{k}", "external_id": k, "day": None if n % 2 else
                                              f"2027-01-0{n}", "view": "{}", "body": f'{{"n":{n}}}'}
                                             for n, k in enumerate(keys)])
    query = select(register.c.external_id, register.c.day, register.c.body)
    for size in (1, 2, 3, 100):
        rows = [tuple(r) for page in staging.stream_query(query, register.c.external_id, batch=size) for r in page]
        pages = list(staging.stream_rows(query, register.c.external_id, batch=size))
        assert [r for page in pages for r in page] == rows and all(0 < len(p) <= size for p in pages)
    assert [r[0] for r in rows] == sorted(keys, key=str.encode)  # byte order on every backend
    staging.close()


def test_stream_rows_gives_stream_querys_rows_as_tuples_in_byte_order(tmp_path: Path) -> None:
    _stream_rows_match_stream_query(f"sqlite:///{tmp_path}/s.db")


def test_stream_rows_on_postgresql() -> None:
    from tests.conftest import new_postgres_database

    with new_postgres_database() as url:
        _stream_rows_match_stream_query(url)


def _rows_in_match_an_in_query(url: str) -> None:
    """`rows_in` (driver, statement per key count) gives the rows SQLAlchemy's `IN` query gives, duplicates too."""
    staging = Staging(url)
    keys = ["jcc:b", "jcc:a", "jcc:B", "jcc:10", "jcc:é"]
    with staging.engine.begin() as conn:
        staging.insert_many(conn, register, [{"register_id": f"R{n}-{k}", "external_id": k, "day": None,
                                              "view": "{}", "body": f'{{"n":{n}}}'}
                                             for n, k in enumerate([*keys, "jcc:a"])])  # jcc:a twice
    query = select(register.c.register_id, register.c.external_id, register.c.body)
    look_up = staging.rows_in(query, register.c.external_id)
    for wanted in ([], ["jcc:a"], ["jcc:a", "jcc:x", "jcc:é"], keys, ["jcc:B", "jcc:10"]):
        with staging.engine.connect() as conn:
            rows = sorted(tuple(r) for r in conn.execute(query.where(register.c.external_id.in_(wanted))))
        assert sorted(look_up(wanted)) == rows
    assert len(look_up(["jcc:a"])) == 2
    staging.close()


def test_rows_in_gives_the_rows_an_in_query_gives(tmp_path: Path) -> None:
    _rows_in_match_an_in_query(f"sqlite:///{tmp_path}/s.db")


def test_rows_in_on_postgresql() -> None:
    from tests.conftest import new_postgres_database

    with new_postgres_database() as url:
        _rows_in_match_an_in_query(url)


def test_a_new_staging_database_gets_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    import sqlite3

    Staging(f"sqlite:///{tmp_path}/new.db").close()
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("CREATE TABLE kept (x)")  # written before: 4 KB pages, the file's own
    old.close()
    Staging(f"sqlite:///{tmp_path}/old.db").close()
    for name, size in (("new.db", db.SQLITE_PAGE_SIZE), ("old.db", 4096)):
        with sqlite3.connect(tmp_path / name) as conn:
            assert conn.execute("PRAGMA page_size").fetchone() == (size,)
