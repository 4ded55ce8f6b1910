"""`check_structured` gives the CloudEvents SDK's verdict, also where it skips the SDK for a plain event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat

from hub.api import cloudevents_http
from hub.api.cloudevents_http import check_structured
from hub.api.problems import Problem
from tests.support.events import cloudevent


def _sdk_accepts(item: dict[str, Any]) -> bool:
    try:
        JSONFormat().read(None, json.dumps({k: v for k, v in item.items() if v is not None}))
    except (BaseCloudEventException, ValueError, TypeError, AttributeError):
        return False
    return True


def _hub_accepts(item: dict[str, Any]) -> bool:
    try:
        check_structured(item)
    except Problem:
        return False
    return True


VARIANTS: list[dict[str, Any]] = [
    {}, {"time": None, "subject": None}, {"time": "2027-02-20T09:00:00Z"}, {"time": "2027-02-20T10:00:00.123456+01:00"},
    {"time": "2027-02-20T10:00:00"}, {"time": "2027-02-30T10:00:00Z"}, {"time": "2027-02-20T24:00:00Z"},
    {"time": "2027-02-20T10:00:60Z"}, {"time": "2027-02-20 10:00:00Z"}, {"time": "\u0662027-02-20T10:00:00Z"},
    {"time": 1700000000}, {"time": ""}, {"specversion": "0.3"}, {"specversion": "1.0 "}, {"specversion": 1.0},
    {"id": ""}, {"id": 5}, {"source": None}, {"type": ["x"]}, {"subject": ""}, {"subject": 7},
    {"datacontenttype": ""}, {"dataschema": False}, {"Upper": "x"}, {"with-dash": "x"}, {"ok1": "x"},
    {"ok2": None, "Bad_Name": None}, {"data_base64": "AAAA", "data": None}, {"data_base64": "!!!"},
    {"data_base64": "AAAA"}, {"data": None},
]


@pytest.mark.parametrize("change", VARIANTS, ids=[json.dumps(v, ensure_ascii=True) for v in VARIANTS])
def test_the_verdict_is_the_sdks(change: dict[str, Any]) -> None:
    item = {**cloudevent(), **change}
    assert _hub_accepts(item) == _sdk_accepts(item)


def test_a_plain_event_does_not_go_through_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise ValueError("the SDK was asked")

    monkeypatch.setattr(cloudevents_http._FORMAT, "read", refuse)
    check_structured(cloudevent())
    with pytest.raises(Problem):
        check_structured({**cloudevent(), "Upper": "x"})
