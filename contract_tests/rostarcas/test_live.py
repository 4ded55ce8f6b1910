"""Read-only check of a real RostarCAS export (`--live`): configure AFSPRAKENHUB_ROSTARCAS__… first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connectors.rostarcas import RostarcasClient
from hub.config import Settings


@pytest.mark.live
def test_live_export_reads_without_refused_rows() -> None:
    settings = Settings().rostarcas
    if "127.0.0.1" in settings.base_url and settings.source == "http":
        pytest.skip("AFSPRAKENHUB_ROSTARCAS__BASE_URL points at the sandbox; set the vendor's URL and credentials")
    today = date.today()
    export = RostarcasClient.from_settings(settings).fetch_roster(today, today + timedelta(days=7))
    assert export.generated_at is not None, "the export must say when it was made (generatedAt / file name)"
    assert export.problems == [], [f"{p.file}:{p.line} {p.reason}" for p in export.problems[:10]]
