"""The SOQL subset the simulator understands: `SELECT f, … FROM Obj [WHERE cond AND …] [LIMIT n]`.

A condition is `field op value` with op one of `= != < <= > >=`, or `field IN (value, …)`; values are quoted
strings, dates, datetimes (`2027-03-01T09:00:00Z`), numbers, true/false/null — as SOQL documents them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUERY = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
                    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.I | re.S)
_VALUE = (r"'(?:[^'\\]|\\.)*'|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
          r"|\d{4}-\d{2}-\d{2}|true|false|null|-?\d+(?:\.\d+)?")
_CONDITION = re.compile(rf"\s*(?P<field>\w+)\s*(?:(?P<op>!=|<=|>=|=|<|>)\s*(?P<value>{_VALUE})"
                        rf"|IN\s*\((?P<values>\s*(?:{_VALUE})(?:\s*,\s*(?:{_VALUE}))*)\s*\))\s*", re.I)
_LIST_ITEM = re.compile(rf"\s*(?P<value>{_VALUE})\s*,?", re.I)
_AND = re.compile(r"AND\b", re.I)
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t"}


class SoqlError(ValueError):
    """The query is outside the subset (answered 400 MALFORMED_QUERY)."""


Literal = str | bool | None


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    sobject: str
    #: (field, operator, value); for `IN` the value is a tuple of literals.
    where: tuple[tuple[str, str, Literal | tuple[Literal, ...]], ...]
    limit: int | None


def _literal(raw: str) -> Literal:
    low = raw.lower()
    if low == "null":
        return None
    if low in ("true", "false"):
        return low == "true"
    if raw.startswith("'"):
        return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m[1], m[1]), raw[1:-1])
    return raw


def parse(soql: str) -> Query:
    match = _QUERY.match(soql)
    if not match:
        raise SoqlError("unexpected token")
    conditions: list[tuple[str, str, Literal | tuple[Literal, ...]]] = []
    rest = match["where"] or ""
    while rest:
        cond = _CONDITION.match(rest)
        if not cond:
            raise SoqlError("only `field op value` and `field IN (…)` joined by AND are supported")
        if cond["values"] is not None:
            items = tuple(_literal(m["value"]) for m in _LIST_ITEM.finditer(cond["values"]))
            conditions.append((cond["field"], "IN", items))
        else:
            conditions.append((cond["field"], cond["op"], _literal(cond["value"])))
        rest = rest[cond.end():]
        if rest:
            joined = _AND.match(rest)
            if not joined:
                raise SoqlError("only AND is supported")
            rest = rest[joined.end():]
    fields = tuple(f.strip() for f in match["fields"].split(","))
    return Query(fields, match["object"], tuple(conditions), int(match["limit"]) if match["limit"] else None)
