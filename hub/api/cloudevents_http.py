"""The CloudEvents HTTP protocol binding (binary, structured and batched mode), parsed by the CNCF SDK.

Whatever the mode, the result is each event as a structured JSON CloudEvent *as received*: the attributes
the producer sent (binary mode: its `ce-*` headers, percent-decoded, and `Content-Type` as
`datacontenttype`) and its data (JSON as JSON, other text as text, anything else as `data_base64`). That is
what the hub stores, so a trace or replay shows the producer's own words.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote

from cloudevents.core.bindings.http import HTTPMessage, from_binary
from cloudevents.core.exceptions import BaseCloudEventException, CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat

from hub.api import bounded_json
from hub.api.problems import Problem

CE_JSON = "application/cloudevents+json"
CE_BATCH = "application/cloudevents-batch+json"
CE_PREFIX = "ce-"
Mode = Literal["binary", "structured", "batch"]
_FORMAT = JSONFormat()
_TEXT_ATTRIBUTES = ("subject", "datacontenttype", "dataschema")
_NOT_EXTENSIONS = frozenset({"specversion", "id", "source", "type", "time", "data", *_TEXT_ATTRIBUTES})
_EXTENSION_NAME = re.compile(r"[a-z0-9]+")
#: RFC 3339 with every field in range once `datetime.fromisoformat` takes it: a time the SDK's parser reads too.
_PLAIN_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
                         re.ASCII)


@dataclass(frozen=True)
class Received:
    """The events of one request, each a structured CloudEvent dict as the producer sent it; `nul_free` when
    they came as JSON without a `\\u0000` escape (JSON text cannot hold a NUL otherwise)."""

    mode: Mode
    events: list[Any]
    nul_free: bool = False


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def is_json(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


def mode_of(headers: Mapping[str, str], *, plain_json: bool = True) -> Mode | None:
    """The content mode the binding prescribes for these headers, or None (415).

    `Content-Type` decides: the CloudEvents media types are structured or batched mode; otherwise a
    `ce-specversion` header means binary mode. A plain `application/json` body without it is taken as a
    structured event (or an array of them) when `plain_json` is set: TIP has always sent that.
    """
    kind = media_type(headers.get("content-type"))
    if kind == CE_JSON:
        return "structured"
    if kind == CE_BATCH:
        return "batch"
    if "ce-specversion" in headers:
        return "binary"
    if plain_json and kind == "application/json":
        return "structured"
    return None


def _sdk_problem(exc: Exception, prefix: str = "") -> Problem:
    """The SDK's verdict as a 422 problem naming each attribute (never its value)."""
    params: list[dict[str, str]] = []
    if isinstance(exc, CloudEventValidationError):
        for name, errors in exc.errors.items():
            for error in errors:
                params.append({"name": f"{prefix}{name}", "code": "cloudevents", "reason": str(error)})
    else:
        params.append({"name": prefix.rstrip(".") or "body", "code": "cloudevents", "reason": str(exc)[:300]})
    return Problem(422, "not a valid CloudEvent: nothing was stored", code="invalid-event", invalid_params=params)


def _plainly_conformant(item: dict[str, Any]) -> bool:
    """True when the SDK's structured-mode check is sure to pass: specversion 1.0, id, source and type non-empty
    text, the optional text attributes absent or non-empty, `time` plain RFC 3339 with an offset, extension names
    lowercase letters and digits, no `data_base64`. Anything else (also what merely looks odd) goes to the SDK."""
    if item.get("specversion") != "1.0" or item.get("data_base64") is not None:
        return False
    for name in ("id", "source", "type"):
        value = item.get(name)
        if not isinstance(value, str) or not value:
            return False
    for name in _TEXT_ATTRIBUTES:
        value = item.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            return False
    time = item.get("time")
    if time is not None:
        if not isinstance(time, str) or not _PLAIN_TIME.fullmatch(time):
            return False
        try:
            datetime.fromisoformat(time)
        except ValueError:
            return False
    return all(name in _NOT_EXTENSIONS or _EXTENSION_NAME.fullmatch(name) for name in item)


def check_structured(item: Any, prefix: str = "") -> None:
    """The SDK's rules for one structured-mode event (attribute names and types, specversion, data_base64); an
    event plainly within them skips the SDK's re-serialise and re-parse (its verdict would be the same)."""
    if not isinstance(item, dict):
        raise Problem(422, "invalid event: nothing was stored", code="invalid-event", invalid_params=[
            {"name": prefix.rstrip(".") or "body", "code": "type", "reason": "expected a JSON object"}])
    if _plainly_conformant(item):
        return
    try:  # JSON format: a null attribute is the same as an absent one
        _FORMAT.read(None, json.dumps({k: v for k, v in item.items() if v is not None}))
    except (BaseCloudEventException, ValueError, TypeError, AttributeError) as exc:
        raise _sdk_problem(exc, prefix) from None


def _binary(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """A binary-mode message as the structured event it stands for, checked by the SDK."""
    kind = media_type(headers.get("content-type"))
    # JSON data passes the hub's bounds first; the SDK then reads the same bytes.
    data: Any = bounded_json.loads(body) if body and is_json(kind) else None
    try:
        from_binary(HTTPMessage(headers={k: v for k, v in headers.items()
                                         if k.startswith(CE_PREFIX) or k == "content-type"}, body=body), _FORMAT)
    except (BaseCloudEventException, ValueError, TypeError, AttributeError) as exc:
        raise _sdk_problem(exc) from None
    event: dict[str, Any] = {name[len(CE_PREFIX):]: unquote(value) for name, value in headers.items()
                             if name.startswith(CE_PREFIX)}
    if headers.get("content-type"):
        event["datacontenttype"] = headers["content-type"]
    if not body:
        return event
    if is_json(kind):
        event["data"] = data
        return event
    try:
        event["data"] = body.decode() if kind.startswith("text/") else None
    except UnicodeDecodeError:
        event["data"] = None
    if event["data"] is None:
        del event["data"]
        event["data_base64"] = base64.b64encode(body).decode()
    return event


def receive(mode: Mode, headers: Mapping[str, str], body: bytes, max_batch: int) -> Received:
    """The request's events as received; 400 for bodies out of bounds, 422 for what the binding refuses."""
    if mode == "binary":
        return Received(mode, [_binary(headers, body)])
    raw = bounded_json.loads(body)
    nul_free = b"\\u0000" not in body
    if mode == "batch" or isinstance(raw, list):
        if not isinstance(raw, list):
            raise Problem(422, "a batch is a JSON array of CloudEvents", code="invalid-event")
        if not 0 < len(raw) <= max_batch:
            raise Problem(422, f"a batch holds 1 to {max_batch} events", code="invalid-event")
        for index, item in enumerate(raw):
            check_structured(item, f"[{index}].")
        return Received("batch", raw, nul_free)
    check_structured(raw)
    return Received("structured", [raw], nul_free)
