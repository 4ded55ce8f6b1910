"""Read-only check (`--live`) that the configured view exists with the contract's columns and types.

Needs AFSPRAKENHUB_KEY2BURGERZAKEN__DATABASE_URL (e.g. oracle+oracledb://hub_reader:…@host:1521/?service_name=K2B,
with the `oracledb` driver installed) and, when not the defaults, …__SCHEMA_NAME, …__VIEW and …__COLUMNS__*.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import inspect

from connectors.key2burgerzaken import Key2BurgerzakenClient
from hub.config import Settings

pytestmark = pytest.mark.live
ORACLE_TYPES = {"string": ("VARCHAR", "VARCHAR2", "NVARCHAR2", "CHAR", "NUMBER", "TEXT"),
                "datetime": ("DATE", "TIMESTAMP", "DATETIME")}


def test_live_view_has_the_contract_columns(view_contract: dict[str, Any]) -> None:
    if not os.environ.get("AFSPRAKENHUB_KEY2BURGERZAKEN__DATABASE_URL"):
        pytest.fail("--live needs AFSPRAKENHUB_KEY2BURGERZAKEN__DATABASE_URL", pytrace=False)
    settings = Settings().key2burgerzaken
    with Key2BurgerzakenClient(settings) as client:
        client.check_view()  # SELECT … WHERE 0 = 1: the view and every configured column are readable
        inspector = inspect(client.engine)
        views = {v.upper() for v in inspector.get_view_names(schema=settings.schema_name)}
        assert settings.view.upper() in views, f"no view {settings.view} visible to this account"
        found = {c["name"].upper(): c for c in inspector.get_columns(settings.view, schema=settings.schema_name)}
    names = settings.columns.model_dump()
    for column in view_contract["columns"]:
        name = names[column["setting"]].upper()
        assert name in found, f"view {settings.view} lacks column {name}"
        type_name = type(found[name]["type"]).__name__.upper()
        assert type_name.startswith(ORACLE_TYPES[column["generic"]]), f"{name}: {type_name}"
