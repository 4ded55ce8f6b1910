"""Source against register: what JCC held (the raw extract) against what the register holds (its API's answer).

Independent of the mapping code (`mappings.jcc.mapping`) and of the JCC connector's parsing: it reads
JCC's raw payload and the register's JSON and normalises each side on its own.

- start/end: JCC's local wall-clock time against the register's offset time seen in Europe/Amsterdam;
- products: JCC's product ids resolved through JCC's own catalogue to its code/description, with
  quantities, then through the tables' *JCC identity* columns (never the JCC id) to the register code
  and name expected; against the register's codes, quantities and the register catalogue's names;
- location and employee: likewise by JCC's identity (location description, employee id and name);
- customer: BSN, birth date, names, initials, e-mail, phone and language, each normalised here.

Every difference is a (field, JCC value, register value) row; `reconcile` writes them as
`source-mismatch` discrepancies.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from mappings.jcc.tables import MappingTables
from migration.catalogue import Catalogues, text_key

LOCAL = ZoneInfo("Europe/Amsterdam")
_INITIALS_SPLIT = re.compile(r"[.\s]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNKNOWN_BIRTH = "0001-01-01"
Diff = tuple[str, str, str]
#: One of the comparisons `Crosswalk.remembered` keeps answers of.
Part = Callable[[Mapping[str, Any], Mapping[str, Any], "Crosswalk"], Diff | None]
#: At most this many remembered answers per comparison (beyond, each is computed).
MEMO = 100_000
_UNSEEN = object()


def wall_clock_of_jcc(value: object) -> str:
    """JCC's time as `YYYY-MM-DD HH:MM` local time (JCC sends wall-clock time without an offset)."""
    return _jcc_text_wall_clock(value) if type(value) is str else _jcc_wall_clock(value)


def wall_clock_of_register(value: object) -> str:
    """The register's offset time as `YYYY-MM-DD HH:MM` in Europe/Amsterdam."""
    return _register_text_wall_clock(value) if type(value) is str else _register_wall_clock(value)


def _jcc_wall_clock(value: object) -> str:
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL)
    return _minutes(moment)


def _register_wall_clock(value: object) -> str:
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is None:
        return f"{_minutes(moment)} (no offset)"
    return _minutes(moment.astimezone(LOCAL))


# Appointments start and end on a day's slots: the same time text recurs across many of them, so each text is
# converted once (only texts are remembered: JSON's 1 and true are equal as keys but not as times).
_jcc_text_wall_clock = lru_cache(maxsize=MEMO)(_jcc_wall_clock)
_register_text_wall_clock = lru_cache(maxsize=MEMO)(_register_wall_clock)


def _minutes(moment: datetime) -> str:
    """`YYYY-MM-DD HH:MM` of the wall-clock time in `moment` (its offset left out)."""
    return moment.replace(tzinfo=None).isoformat(" ", "minutes")


def _moment(value: object) -> datetime | str:
    """The ISO time in `value`, or what to show instead: "" when absent, a note when it is not a time."""
    text = _text(value)
    if not text:
        return ""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return f"(not a time: {text})"


def _text(value: object) -> str:
    """Trimmed, inner whitespace collapsed to one space."""
    return "" if value is None else " ".join(str(value).split())


def _fold(value: object) -> str:
    return _text(value).casefold()


def bsn_of(client_id: object, *, pad: bool) -> str:
    """A numeric client id as nine digits when it passes the 11-proef; anything else is no BSN."""
    text = _text(client_id)
    if not (text.isascii() and text.isdigit()):
        return ""
    if pad and len(text) < 9:
        text = text.zfill(9)
    if len(text) != 9:
        return ""
    d = text.encode()  # ASCII codes: each digit is its code - 48 (the 48s sum to 48 * 43 with these weights)
    total = 9 * d[0] + 8 * d[1] + 7 * d[2] + 6 * d[3] + 5 * d[4] + 4 * d[5] + 3 * d[6] + 2 * d[7] - d[8] - 48 * 43
    return text if total % 11 == 0 else ""


def phone_of(value: object) -> str:
    """A phone number as `+<country><number>`; Dutch numbers written 06…, +31 (0)6… or 0031 6… alike."""
    text = _text(value)
    if not text:
        return ""
    international = text.startswith(("+", "00"))
    digits = _digits(text)
    if international:
        digits = digits.removeprefix("00")
        if digits.startswith("31"):
            national = digits[2:].removeprefix("0")
            return f"+31{national}" if len(national) == 9 else ""
        return f"+{digits}" if 8 <= len(digits) <= 15 else ""
    return f"+31{digits[1:]}" if len(digits) == 10 and digits.startswith("0") else ""


def _digits(text: str) -> str:
    """The characters of `text` that are digits (`str.isdigit`); digits alone, or `+` and digits (the register's
    form), are that text itself, without a call per character."""
    if text.isdigit():
        return text
    if text[:1] == "+" and text[1:].isdigit():
        return text[1:]
    return "".join(filter(str.isdigit, text))


def email_of(value: object) -> str:
    """A plausible e-mail address in lower case; anything else is none (the conversion leaves it out)."""
    text = _text(value).lower()
    return text if _EMAIL.match(text) else ""


def initials_of(value: object) -> str:
    """The letters of JCC's initials (`J.P.`, `j p`, `JP` → `jp`); a whole first name gives its first letter."""
    return _text_initials(value) if type(value) is str else _initials(value)


def _initials(value: object) -> str:
    text = _text(value)
    parts = [p for p in _INITIALS_SPLIT.split(text) if p] if "." in text or " " in text else [text] if text else []
    if len(parts) == 1 and len(parts[0]) > 2 and "." not in text:
        return parts[0][0].casefold()
    return "".join(filter(str.isalpha, text)).casefold()


# Initials are a small set (`J.`, `J.P.`, …) on both sides: each text is read once (only texts are remembered, as
# for the wall clocks).
_text_initials = lru_cache(maxsize=MEMO)(_initials)


def product_counts(product_ids: object) -> Counter[str]:
    """JCC's `productID` list (`1,2,1`) as id → quantity."""
    return Counter(p.strip() for p in _text(product_ids).split(",") if p.strip())


@dataclass
class Crosswalk:
    """The tables' JCC identities → the register targets they name, plus both catalogues."""

    tables: MappingTables
    cats: Catalogues
    products: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    locations: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    known: dict[Part, dict[tuple[object, ...], Diff | None]] = field(default_factory=dict)

    @classmethod
    def build(cls, tables: MappingTables, cats: Catalogues) -> Crosswalk:
        out = cls(tables, cats)
        for p in tables.products.values():
            for key in (f"code:{text_key(p.jcc_code)}" if p.jcc_code else None,
                        f"desc:{text_key(p.jcc_description)}" if p.jcc_description else None):
                if key:
                    out.products.setdefault(key, []).append((p.code, p.register_name))
        for loc in tables.locations.values():
            if loc.jcc_description:
                out.locations.setdefault(text_key(loc.jcc_description), []).append((loc.register_id, loc.name))
        return out

    def jcc_product(self, pid: str) -> tuple[str | None, str | None]:
        entry = self.cats.jcc.get("product", {}).get(pid)
        return (entry.code, entry.name) if entry else (None, None)

    def product_target(self, code: str | None, desc: str | None) -> tuple[str, str | None] | None:
        keys = ([f"code:{text_key(code)}"] if code else []) + ([f"desc:{text_key(desc)}"] if desc else [])
        for key in keys:
            found = self.products.get(key)
            if found and len(set(found)) == 1:
                return found[0]
        return None

    def remembered(self, part: Part, key: tuple[object, ...], raw: Mapping[str, Any],
                   reg: Mapping[str, Any]) -> Diff | None:
        """`part(raw, reg, self)`, computed once per `key`: the few values it depends on (products, location,
        employee repeat across appointments)."""
        known = self.known.setdefault(part, {})
        try:
            found = known.get(key, _UNSEEN)
        except TypeError:  # a JSON object or list where a value belongs: no key, computed each time
            return part(raw, reg, self)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]
        found = part(raw, reg, self)
        if len(known) < MEMO:
            known[key] = found
        return found

    def register_name(self, kind: str, key: str) -> str | None:
        entry = self.cats.register.get(kind, {}).get(key)
        return entry.name if entry else None


def _line_key(item: object) -> tuple[object, ...]:
    """A register product line as a key: its code and quantity with their types (anything else: itself, typed)."""
    if isinstance(item, dict):
        code, quantity = item.get("code"), item.get("quantity")
        return type(code), code, type(quantity), quantity
    return type(item), item


def _id_of(value: object) -> object:
    return value.get("id") if isinstance(value, dict) else value


def _obj(value: object) -> Mapping[str, Any]:
    """A JSON object of the register's answer; anything else there (it is read without a model) counts as empty."""
    return value if isinstance(value, dict) else {}


def _quantity(value: object) -> int:
    """A product line's quantity (absent: 1); what is no whole number shows as 0, so it differs."""
    if not value:
        return 1
    if isinstance(value, int | float) and value == int(value):
        return int(value)
    return int(value) if isinstance(value, str) and value.strip().isdigit() else 0


def _products(raw: Mapping[str, Any], reg: Mapping[str, Any], cw: Crosswalk) -> Diff | None:
    expected: Counter[str] = Counter()
    names: dict[str, str | None] = {}
    shown: list[str] = []
    for pid, qty in sorted(product_counts(raw.get("productID")).items()):
        code, desc = cw.jcc_product(pid)
        if code is None and desc is None and len(product_counts(raw.get("productID"))) == 1:
            desc = _text(raw.get("productDescription")) or None
        if code is None and desc is None:  # no catalogue (an export without descriptions): the row's own claim
            row = cw.tables.products.get(pid)
            code, desc = (row.jcc_code, row.jcc_description) if row else (None, None)
        target = cw.product_target(code, desc)
        label = " ".join(x for x in (code, f"'{desc}'" if desc else None) if x) or f"id {pid} (not in JCC's catalogue)"
        shown.append(f"{label} x{qty}")
        key = target[0] if target else f"(no table row for JCC {label})"
        expected[key] += qty
        if target:
            names[target[0]] = target[1]
    held: Counter[str] = Counter()
    held_names: dict[str, str | None] = {}
    listed = reg.get("products")
    for item in listed if isinstance(listed, list) else [listed] if listed else []:
        line = _obj(item)
        code = _text(line.get("code")) or f"(not a product: {_text(item)})"
        held[code] += _quantity(line.get("quantity"))
        held_names[code] = cw.register_name("product", code)
    named_wrong = [c for c in expected if c in held_names and names.get(c) and held_names[c]
                   and text_key(names[c] or "") != text_key(held_names[c] or "")]
    if expected == held and not named_wrong:
        return None
    target_text = "; ".join(f"{c}{_quoted(held_names.get(c))} x{q}" for c, q in sorted(held.items())) or "(none)"
    source_text = "; ".join(shown) + " -> " + "; ".join(
        f"{c}{_quoted(names.get(c))} x{q}" for c, q in sorted(expected.items()))
    return "products", source_text, target_text


def _quoted(name: str | None) -> str:
    return f" '{name}'" if name else ""


def _location(raw: Mapping[str, Any], reg: Mapping[str, Any], cw: Crosswalk) -> Diff | None:
    lid = _text(raw.get("locationID"))
    entry = cw.cats.jcc.get("location", {}).get(lid)
    desc = (entry.name if entry else None) or _text(raw.get("locationDescription")) or None
    if desc is None and lid in cw.tables.locations:  # no catalogue and no description: the row's own claim
        desc = cw.tables.locations[lid].jcc_description
    targets = set(cw.locations.get(text_key(desc), [])) if desc else set()
    held_id = _text(_obj(reg.get("location")).get("id"))
    held_name = cw.register_name("location", held_id)
    ok = any(t == held_id and (not n or not held_name or text_key(n) == text_key(held_name)) for t, n in targets)
    if ok:
        return None
    expected = ", ".join(f"{t}{_quoted(n)}" for t, n in sorted(targets, key=str)) or "(no table row)"
    return "location", f"JCC {lid} '{desc or ''}' -> {expected}", f"{held_id}{_quoted(held_name)}"


def _employee(raw: Mapping[str, Any], reg: Mapping[str, Any], cw: Crosswalk) -> Diff | None:
    eid = _text(raw.get("employeeID"))
    held_id = _text(_obj(reg.get("employee")).get("id"))
    if not eid:
        return None if not held_id else ("employee", "(none)", held_id)
    row = cw.tables.employee_rows.get(eid)
    source_name = _text(raw.get("employeeName"))
    held_name = cw.register_name("employee", held_id)
    expected = row.register_id if row and (not row.jcc_name or not source_name
                                           or text_key(row.jcc_name) == text_key(source_name)) else None
    if expected == held_id and (not row or not row.register_name or not held_name
                                or text_key(row.register_name) == text_key(held_name)):
        return None
    label = f"JCC {eid}{_quoted(source_name or None)} -> {expected or '(no matching table row)'}"
    return "employee", label, f"{held_id}{_quoted(held_name)}" or "(none)"


def compare(raw: Mapping[str, Any], reg: Mapping[str, Any], cw: Crosswalk) -> list[Diff]:
    """Every field where the register's appointment differs from JCC's raw payload."""
    get, c = raw.get, _obj(reg.get("customer"))
    rules = cw.tables.rules
    held = reg.get("products")
    bought = tuple(map(_line_key, held)) if isinstance(held, list) else held
    # each key: the values with their types (JSON's 1, 1.0 and true are equal in Python, not to the comparison)
    pid, pdesc, lid, ldesc, held_loc = (get("productID"), get("productDescription"), get("locationID"),
                                        get("locationDescription"), _id_of(reg.get("location")))
    eid, ename, held_emp = get("employeeID"), get("employeeName"), _id_of(reg.get("employee"))
    parts = [d for d in (
        cw.remembered(_products, (type(pid), pid, type(pdesc), pdesc, type(bought), bought), raw, reg),
        cw.remembered(_location, (type(lid), lid, type(ldesc), ldesc, type(held_loc), held_loc), raw, reg),
        cw.remembered(_employee, (type(eid), eid, type(ename), ename, type(held_emp), held_emp), raw, reg)) if d]
    birth = _text(get("clientDateOfBirth"))[:10]
    named = any((c.get("bsn"), c.get("lastName"), c.get("email"), c.get("phone"), c.get("birthDate")))
    language = _text(get("clientLanguage")).upper()
    times = [
        ("start", wall_clock_of_jcc(get("appStartTime")), wall_clock_of_register(reg.get("start"))),
        ("end", wall_clock_of_jcc(get("appEndTime")), wall_clock_of_register(reg.get("end"))),
    ]
    pairs = [
        ("caseReference", _text(get("caseID")), _text(reg.get("caseReference"))),
        ("notes", _text(get("appointmentDescription")), _text(reg.get("notes"))),
        ("customer.bsn", bsn_of(get("clientID"), pad=rules.pad_client_id_to_nine_digits), _text(c.get("bsn"))),
        ("customer.birthDate", "" if birth == UNKNOWN_BIRTH else birth, _text(c.get("birthDate"))),
        ("customer.lastName", _fold(get("clientLastName")), _fold(c.get("lastName"))),
        ("customer.lastNamePrefix", _fold(get("clientLastNamePrefix")), _fold(c.get("lastNamePrefix"))),
    ]
    if named and _text(get("clientFirstName")):  # an anonymous customer keeps no names
        pairs.append(("customer.firstName", _fold(get("clientFirstName")), _fold(c.get("firstName"))))
    if named and _text(get("clientInitials")):
        pairs.append(("customer.initials", initials_of(get("clientInitials")), initials_of(c.get("initials"))))
    pairs += [
        ("customer.email", email_of(get("clientMail")), _text(c.get("email")).lower()),
        ("customer.phone", phone_of(get("clientMobile") or get("clientTel")), phone_of(c.get("phone"))),
        ("customer.language", (rules.languages.get(language, rules.default_language) if language
                               else rules.default_language) or "", _text(c.get("language"))),
    ]
    return [p for p in times if p[1] != p[2]] + parts + [p for p in pairs if p[1] != p[2]]


def belongs_in_register(raw: Mapping[str, Any], plan_scope: Mapping[str, Any]) -> str | None:
    """Why JCC's appointment should be in the register under the plan's scope rule (None: it need not be).

    Judged from JCC's own wall-clock start against the cutover moment seen in Europe/Amsterdam.
    """
    start = wall_clock_of_jcc(raw.get("appStartTime"))
    if not start or start.startswith("("):
        return None
    cutover = datetime.fromisoformat(str(plan_scope["cutover"])).astimezone(LOCAL)
    first = cutover - timedelta(days=int(plan_scope.get("archiveDays") or 0)) \
        if plan_scope.get("scope") == "all" else cutover
    limit = first.strftime("%Y-%m-%d %H:%M")
    if start < limit:
        return None
    return f"starts {start}, on or after {limit} ({plan_scope.get('scope')} scope, cutover {cutover:%Y-%m-%d %H:%M})"


def load_json(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


__all__ = ["Crosswalk", "Diff", "belongs_in_register", "bsn_of", "compare", "email_of", "initials_of", "load_json",
           "phone_of", "product_counts", "wall_clock_of_jcc", "wall_clock_of_register"]
