"""The star schema's event tables built column-wise over a batch (Arrow compute; no per-event objects).

`read_events` parses a batch's stored JSON with Arrow's JSON reader into the fields `snapshot.StoredEvent`
keeps (nothing else is read, so no personal field can enter). When a batch holds anything that reader and
the slim pydantic models could disagree on (an unparseable payload, a missing required field, an explicit
null where the model has a default, a time without an offset) it returns None and the export takes the
per-event path of `rows` for that batch, which validates every event alone. The builders here give the same
rows as `rows.py` (tests/integration/test_datalake_columnar.py compares the two on the same events).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from flows.datalake.contract import schema_of
from flows.datalake.privacy import AGE_BANDS, OLDEST_BAND, customer_key, customer_keys
from flows.datalake.rows import VISIT_KINDS, Pseudonymiser, Row
from hub.model import APPOINTMENT_EVENT_PREFIX
from hub.store.datalake_reads import RawEvent

UTC_TS = pa.timestamp("us", tz="UTC")
_STR, _INT, _BOOL = pa.string(), pa.int64(), pa.bool_()
_REF = pa.struct([("id", _STR), ("name", _STR)])
#: What is read of a stored event: the fields of `snapshot.StoredEvent`, times as text (checked and converted
#: below); the multi-word ones by both spellings the slim models accept, the camelCase alias first (the hub
#: stores the field names, e.g. group_size; a batch where an event has both and the alias is null goes event
#: by event, since the model then takes the null).
EVENT_JSON = pa.schema([
    ("type", _STR), ("time", _STR),
    ("data", pa.struct([
        ("id", _STR), ("version", _INT), ("status", _STR), ("start", _STR), ("end", _STR), ("location", _REF),
        ("department", _STR), ("channel", _STR),
        ("products", pa.list_(pa.struct([("code", _STR), ("name", _STR), ("quantity", _INT)]))),
        ("customer", pa.struct([("bsn", _STR), ("kvk", _STR), ("birthDate", _STR), ("birth_date", _STR),
                                ("anonymous", _BOOL)])),
        ("employee", _REF), ("room", _REF), ("counter", _REF), ("caseReference", _STR), ("case_reference", _STR),
        ("groupSize", _INT), ("group_size", _INT), ("migrated", _BOOL),
    ])),
])
_KIND = "^" + re.escape(APPOINTMENT_EVENT_PREFIX)
_OFFSET = r"(Z|[+-]\d\d:?\d\d)$"  # an explicit UTC offset (the model would read a naive time as local)
#: One thread: Arrow's CPU pool, once started, may abort the process at exit ("terminate called without an
#: active exception", apache/arrow#34314; seen twice in the bench's export children); CPU time is the same.
#: A block (16 MiB) holds many events; an event larger than that makes the reader fail: per-event path.
_READ = pj.ReadOptions(use_threads=False, block_size=1 << 24)



def read_events(rows: Sequence[RawEvent]) -> tuple[pa.Table, int] | None:
    """(one row per readable event: inbox id, received_at and the snapshot's fields; purged count), or None."""
    kept = [r for r in rows if r[2] is not None and r[2] != "null"]
    purged = len(rows) - len(kept)
    if not kept:  # nothing to read: the per-event path counts them
        return None
    ids, received, payloads = zip(*kept, strict=True)
    text = "\n".join(payloads)
    if text.count("\n") != len(kept) - 1:  # a payload spread over lines: let pydantic read them one by one
        return None
    try:
        parsed = pj.read_json(pa.py_buffer(text.encode()), read_options=_READ,
                              parse_options=pj.ParseOptions(explicit_schema=EVENT_JSON,
                                                            unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if parsed.num_rows != len(kept):
        return None
    data = parsed.column("data").combine_chunks()
    events = _flatten(parsed, data, pa.array(ids, _INT), pa.array(received, UTC_TS))
    if events is None or _refused_by_the_model(events, data, text, payloads):
        return None
    return events, purged


def _field(struct: pa.Array, name: str) -> pa.Array:
    return pc.struct_field(struct, name)  # null where the struct itself is null


def _flatten(parsed: pa.Table, data: pa.StructArray, ids: pa.Array, received: pa.Array) -> pa.Table | None:
    try:
        start, end = _timestamp(_field(data, "start")), _timestamp(_field(data, "end"))
        time = _timestamp(parsed.column("time").combine_chunks())
        customer = _field(data, "customer")
        birth = pc.coalesce(_field(customer, "birthDate"), _field(customer, "birth_date")).cast(pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if start is None or end is None or time is None:
        return None
    location, room, counter = _field(data, "location"), _field(data, "room"), _field(data, "counter")
    return pa.table({
        "event_id": ids, "received_at": received, "type": parsed.column("type").combine_chunks(), "time": time,
        "data": pc.is_valid(data), "appointment_id": _field(data, "id"), "version": _field(data, "version"),
        "status": _field(data, "status"), "start": start, "end": end,
        "location": pc.is_valid(location), "location_id": _field(location, "id"),
        "location_name": _field(location, "name"),
        "department": _field(data, "department"), "channel": _field(data, "channel"),
        "products": _field(data, "products"),
        "customer": pc.is_valid(customer), "bsn": _field(customer, "bsn"), "kvk": _field(customer, "kvk"),
        "birth_date": birth, "anonymous": _field(customer, "anonymous"),
        "employee": pc.is_valid(_field(data, "employee")), "employee_id": _field(_field(data, "employee"), "id"),
        "room": pc.is_valid(room), "room_id": _field(room, "id"), "room_name": _field(room, "name"),
        "counter": pc.is_valid(counter), "counter_id": _field(counter, "id"), "counter_name": _field(counter, "name"),
        "case_reference": pc.coalesce(_field(data, "caseReference"), _field(data, "case_reference")),
        "group_size": pc.coalesce(_field(data, "groupSize"), _field(data, "group_size")),
        "migrated": _field(data, "migrated"),
    })


def _timestamp(text: pa.Array) -> pa.Array | None:
    """ISO 8601 text with an offset → UTC timestamps; None when a value has no offset."""
    present = text.drop_null()
    if len(present) and not pc.all(pc.match_substring_regex(present, _OFFSET)).as_py():
        return None
    return text.cast(UTC_TS)


def _named_only(struct: pa.Array, alias: str, name: str) -> pa.Array:
    return pc.fill_null(pc.and_(pc.is_null(_field(struct, alias)), pc.is_valid(_field(struct, name))), False)


def _refused_by_the_model(e: pa.Table, data: pa.StructArray, text: str, payloads: Sequence[str]) -> bool:
    """Whether an event misses what the slim models require (they would count it unreadable)."""
    required = ("type", "appointment_id", "version", "status", "start", "end", "location_id")
    if data.null_count or any(e.column(c).null_count for c in required):
        return True
    customer = _field(data, "customer")
    for struct, alias, name in ((data, "caseReference", "case_reference"), (data, "groupSize", "group_size"),
                                (customer, "birthDate", "birth_date")):
        by_name = _named_only(struct, alias, name)  # a value by the field's name, the alias null or absent
        if f'"{alias}"' in text and pc.any(by_name).as_py():  # null there? the model takes the alias's null
            if pc.any(pc.match_substring(pa.array(payloads, _STR).filter(by_name), f'"{alias}"')).as_py():
                return True
    for ref in ("employee", "room", "counter"):  # a given ref needs its id
        if pc.any(pc.and_(e.column(ref), pc.is_null(e.column(f"{ref}_id")))).as_py():
            return True
    items = pc.list_flatten(e.column("products"))
    if _field(items, "code").null_count or items.null_count:
        return True
    defaults = {("products",): pc.is_null(e.column("products")), ("quantity",): pc.is_null(_field(items, "quantity")),
                ("anonymous",): pc.and_(e.column("customer"), pc.is_null(e.column("anonymous"))),
                ("groupSize", "group_size"): pc.is_null(e.column("group_size")),
                ("migrated",): pc.is_null(e.column("migrated"))}
    for keys, missing in defaults.items():  # absent (the default) or an explicit null (refused)?
        if any(f'"{key}"' in text for key in keys) and pc.any(missing).as_py():  # the key is there: look closer
            nulled = r'"(' + "|".join(keys) + r')"\s*:\s*null'
            if pc.any(pc.match_substring_regex(pa.array(payloads, _STR), nulled)).as_py():
                return True
    return False


def _truthy(text: pa.Array) -> pa.Array:
    """Non-null and not empty (Python's truth of an optional string)."""
    return pc.fill_null(pc.not_equal(text, ""), False)


def date_keys(moments: pa.Array) -> pa.Array:
    """yyyymmdd of each moment's day in Europe/Amsterdam."""
    local = moments.cast(pa.timestamp("us", tz="Europe/Amsterdam"))
    return _ymd_key(pc.year(local), pc.month(local), pc.day(local))


def _ymd_key(y: pa.Array, m: pa.Array, d: pa.Array) -> pa.Array:
    return pc.add(pc.add(pc.multiply(y, 10_000), pc.multiply(m, 100)), d).cast(pa.int32())


def _floor_minutes(start: pa.Array, end: pa.Array) -> pa.Array:
    micros = pc.subtract(end, start).cast(_INT)
    q = pc.divide(micros, 60_000_000)  # truncates; Python's // floors
    return pc.if_else(pc.less(pc.subtract(micros, pc.multiply(q, 60_000_000)), 0), pc.subtract(q, 1), q)


def _age_bands(birth: pa.Array, start: pa.Array) -> pa.Array:
    local = start.cast(pa.timestamp("us", tz="Europe/Amsterdam"))
    oy, om, od = pc.year(local), pc.month(local), pc.day(local)
    by, bm, bd = pc.year(birth), pc.month(birth), pc.day(birth)
    before_birthday = pc.or_(pc.less(om, bm), pc.and_(pc.equal(om, bm), pc.less(od, bd)))
    age = pc.subtract(pc.subtract(oy, by), before_birthday.cast(_INT))
    band: pa.Array = pa.array([OLDEST_BAND] * len(age), _STR)
    for upper, name in reversed(AGE_BANDS):
        band = pc.if_else(pc.less_equal(age, upper), name, band)
    return pc.if_else(pc.less(age, 0), pa.scalar(None, _STR), band)  # born after the day: unknown


def _keys(secret: str, values: pa.Array, use: pa.Array, kind: str) -> pa.Array:
    """The customer key of each value where `use` (one HMAC per distinct value); null elsewhere."""
    distinct = pc.unique(values.filter(use))
    made = pa.array(customer_keys(secret, kind, distinct.to_pylist()), _STR)
    return pc.if_else(use, made.take(pc.index_in(values, value_set=distinct)), pa.scalar(None, _STR))


def _first_and_count(products: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Per event: the first product's code (null without products) and the sum of the quantities."""
    if isinstance(products, pa.ChunkedArray):
        products = products.combine_chunks()
    offsets = products.offsets
    starts, stops = offsets.slice(0, len(products)), offsets.slice(1)
    values = products.values
    quantities = pc.fill_null(_field(values, "quantity"), 1)
    summed = pa.concat_arrays([pa.array([0], _INT), pc.cumulative_sum(quantities).cast(_INT)])
    count = pc.subtract(summed.take(stops), summed.take(starts))
    has = pc.greater(stops, starts)
    first = _field(values, "code").take(pc.if_else(has, starts, pa.scalar(None, pa.int32())))
    return first, count


def version_table(e: pa.Table, p: Pseudonymiser) -> pa.Table:
    """fact_appointment_version for these events (the columns fact_appointment shares included)."""
    if e.num_rows and not p.secret:
        customer_key(p.secret, bsn=None, kvk=None)  # raises the one error of an unset secret
    c = {name: e.column(name).combine_chunks() for name in e.column_names}
    eligible = pc.and_(c["customer"], pc.invert(pc.fill_null(c["anonymous"], False)))
    has_bsn = pc.and_(eligible, _truthy(c["bsn"]))
    has_kvk = pc.and_(pc.and_(eligible, pc.invert(has_bsn)), _truthy(c["kvk"]))
    anonymous = pc.invert(eligible)
    ctype = pc.if_else(anonymous, "anonymous", pc.if_else(has_bsn, "person", pc.if_else(
        _truthy(c["kvk"]), "business", "unidentified")))
    first, count = _first_and_count(c["products"])
    none = pa.nulls(e.num_rows, _STR)
    columns: dict[str, pa.Array] = {
        "event_id": c["event_id"], "event_kind": pc.replace_substring_regex(c["type"], _KIND, ""),
        "event_at": pc.coalesce(c["time"], c["received_at"]), "received_at": c["received_at"],
        "appointment_id": c["appointment_id"], "version": c["version"], "status": c["status"],
        "start_at": c["start"], "end_at": c["end"], "start_date_key": date_keys(c["start"]),
        "duration_minutes": _floor_minutes(c["start"], c["end"]),
        "location_key": c["location_id"], "department_key": c["department"], "channel_key": c["channel"],
        "product_key": first, "product_count": count, "room_key": c["room_id"], "counter_key": c["counter_id"],
        "employee_id": c["employee_id"] if p.employee_ids else none,
        "customer_key": pc.coalesce(_keys(p.secret, c["bsn"], has_bsn, "bsn"),
                                    _keys(p.secret, c["kvk"], has_kvk, "kvk")),
        "customer_key_version": pa.array([p.key_version] * e.num_rows, _STR), "customer_type": ctype,
        "age_band": pc.if_else(pc.and_(has_bsn, pc.is_valid(c["birth_date"])),
                               _age_bands(c["birth_date"], c["start"]), pa.scalar(None, _STR)),
        "group_size": pc.fill_null(c["group_size"], 1), "has_case_reference": _truthy(c["case_reference"]),
        "migrated": pc.fill_null(c["migrated"], False),
    }
    return conform("fact_appointment_version", columns)


def conform(table: str, columns: dict[str, pa.Array]) -> pa.Table:
    """The columns as the contract's table (its order and types)."""
    schema = schema_of(table)
    return pa.Table.from_arrays([pc.cast(columns[f.name], f.type) for f in schema], schema=schema)


def product_table(e: pa.Table) -> pa.Table:
    """fact_appointment_product: per event and product code, the summed quantity."""
    products = e.column("products").combine_chunks()
    items = pc.list_flatten(products)
    parent = pc.list_parent_indices(products)
    grouped = pa.table({"row": parent, "product_key": _field(items, "code"),
                        "quantity": pc.fill_null(_field(items, "quantity"), 1)}
                       ).group_by(["row", "product_key"], use_threads=False).aggregate([("quantity", "sum")])
    rows = grouped.column("row")
    return conform("fact_appointment_product", {
        "event_id": e.column("event_id").take(rows), "appointment_id": e.column("appointment_id").take(rows),
        "version": e.column("version").take(rows), "product_key": grouped.column("product_key"),
        "quantity": grouped.column("quantity_sum")})


def latest_versions(versions: pa.Table) -> pa.Table:
    """Per appointment its highest version (the latest received among equal versions)."""
    if versions.num_rows == 0:
        return versions
    ordered = versions.take(pc.sort_indices(versions, sort_keys=[
        ("appointment_id", "ascending"), ("version", "ascending"), ("event_id", "ascending")]))
    ids = ordered.column("appointment_id").combine_chunks()
    n = len(ids)
    last = pa.concat_arrays([pc.not_equal(ids.slice(0, n - 1), ids.slice(1)), pa.array([True])])
    return ordered.filter(last)


def current_table(versions: pa.Table) -> pa.Table:
    """fact_appointment: one row per appointment from its latest version in `versions`."""
    latest = latest_versions(versions)
    columns = {name: latest.column(name) for name in latest.column_names}
    columns.update(last_event_kind=columns["event_kind"], last_event_at=columns["event_at"],
                   is_cancelled=pc.equal(columns["status"], "cancelled"),
                   is_no_show=pc.equal(columns["status"], "no_show"))
    return conform("fact_appointment", columns)


def visit_table(history: pa.Table, appointment_ids: Sequence[str]) -> pa.Table:
    """fact_visit for these appointments from the version rows of all their events (`history`)."""
    visits = history.filter(pc.is_in(history.column("event_kind"), value_set=pa.array(VISIT_KINDS, _STR)))
    visits = visits.take(pc.sort_indices(visits, sort_keys=[("event_id", "ascending")]))
    first: dict[str, dict[str, datetime]] = {}
    for aid, kind, at in zip(visits.column("appointment_id").to_pylist(), visits.column("event_kind").to_pylist(),
                             visits.column("event_at").to_pylist(), strict=True):
        first.setdefault(aid, {}).setdefault(kind, at)
    wanted = pa.array([i for i in appointment_ids if i in first], _STR)
    latest = latest_versions(history.filter(pc.is_in(history.column("appointment_id"), value_set=wanted)))
    ids = latest.column("appointment_id").to_pylist()
    at = {kind: pa.array([first[i].get(kind) for i in ids], UTC_TS) for kind in VISIT_KINDS}

    def seconds(begin: str, end: str) -> pa.Array:
        return pc.divide(pc.subtract(at[end], at[begin]).cast(_INT), 1e6)

    outcome = pc.if_else(pc.is_valid(at["completed"]), "completed",
                         pc.if_else(pc.is_valid(at["no_show"]), "no_show", "in_progress"))
    columns = {name: latest.column(name) for name in latest.column_names}
    columns.update(planned_start_at=columns["start_at"], checked_in_at=at["checked_in"], called_at=at["called"],
                   started_at=at["started"], completed_at=at["completed"], no_show_at=at["no_show"],
                   outcome=outcome, waiting_seconds=seconds("checked_in", "called"),
                   service_seconds=seconds("started", "completed"))
    return conform("fact_visit", columns)


def _last_names(keys: pa.Array, names: pa.Array, order: pa.Array) -> dict[str, str | None]:
    """Per key the last non-empty name in `order` (None when it never had one)."""
    named = pa.table({"k": keys, "n": names, "o": order}).filter(pc.and_(pc.is_valid(keys), _truthy(names)))
    last = named.take(pc.sort_indices(named, sort_keys=[("o", "ascending")])).group_by(
        "k", use_threads=False).aggregate([("n", "last")])
    found = dict(zip(last.column("k").to_pylist(), last.column("n_last").to_pylist(), strict=True))
    return {k: found.get(k) for k in pc.unique(keys.drop_null()).to_pylist()}


def dimension_rows(e: pa.Table) -> dict[str, list[Row]]:
    """The dimension members these events mention (names as the newest event gives them)."""
    e = e.take(pc.sort_indices(e, sort_keys=[("event_id", "ascending")]))
    c = {name: e.column(name).combine_chunks() for name in e.column_names}
    n = e.num_rows
    position = pa.array(range(n), _INT)
    items = pc.list_flatten(c["products"])  # in event order, then as listed
    locations = _last_names(c["location_id"], c["location_name"], position)
    named_products = _last_names(_field(items, "code"), _field(items, "name"), pa.array(range(len(items)), _INT))
    mentions = pa.concat_tables([  # per event the room, then the counter: the later mention gives the kind
        pa.table({"k": c["room_id"], "n": c["room_name"], "kind": pa.array(["room"] * n, _STR),
                  "o": pc.multiply(position, 2)}),
        pa.table({"k": c["counter_id"], "n": c["counter_name"], "kind": pa.array(["counter"] * n, _STR),
                  "o": pc.add(pc.multiply(position, 2), 1)})]).combine_chunks()
    mentions = mentions.filter(pc.is_valid(mentions.column("k")))
    mentions = mentions.take(pc.sort_indices(mentions, sort_keys=[("o", "ascending")]))
    m = {name: mentions.column(name).combine_chunks() for name in mentions.column_names}
    room_names = _last_names(m["k"], m["n"], m["o"])
    kinds = mentions.group_by("k", use_threads=False).aggregate([("kind", "last")])
    room_kind = dict(zip(kinds.column("k").to_pylist(), kinds.column("kind_last").to_pylist(), strict=True))
    departments = pc.unique(c["department"].filter(_truthy(c["department"]))).to_pylist()
    channels = pc.unique(c["channel"].filter(_truthy(c["channel"]))).to_pylist()
    return {
        "dim_location": [{"location_key": k, "location_name": v} for k, v in locations.items()],
        "dim_product": [{"product_key": k, "product_name": v} for k, v in named_products.items()],
        "dim_department": [{"department_key": k, "department_name": k} for k in sorted(departments)],
        "dim_channel": [{"channel_key": k, "channel_name": k} for k in sorted(channels)],
        "dim_room": [{"room_key": k, "room_name": v, "room_kind": room_kind[k]} for k, v in room_names.items()],
    }
