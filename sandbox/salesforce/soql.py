"""The SOQL subset the simulator understands: `SELECT f, … FROM Obj [WHERE a = v AND …] [LIMIT n]`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUERY = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
                    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.I | re.S)
_CONDITION = re.compile(r"\s*(?P<field>\w+)\s*=\s*(?P<value>'(?:[^'\\]|\\.)*'|\d{4}-\d{2}-\d{2}|true|false|null"
                        r"|-?\d+(?:\.\d+)?)\s*", re.I)
_AND = re.compile(r"AND\b", re.I)
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t"}


class SoqlError(ValueError):
    """The query is outside the subset (answered 400 MALFORMED_QUERY)."""


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    sobject: str
    where: tuple[tuple[str, str | bool | None], ...]
    limit: int | None


def _literal(raw: str) -> str | bool | None:
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
    conditions: list[tuple[str, str | bool | None]] = []
    rest = match["where"] or ""
    while rest:
        cond = _CONDITION.match(rest)
        if not cond:
            raise SoqlError("only `field = value` joined by AND is supported")
        conditions.append((cond["field"], _literal(cond["value"])))
        rest = rest[cond.end():]
        if rest:
            joined = _AND.match(rest)
            if not joined:
                raise SoqlError("only AND is supported")
            rest = rest[joined.end():]
    fields = tuple(f.strip() for f in match["fields"].split(","))
    return Query(fields, match["object"], tuple(conditions), int(match["limit"]) if match["limit"] else None)
