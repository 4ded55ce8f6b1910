"""Read-only checks against a real JCC service (`--live`; AFSPRAKENHUB_MIGRATION__JCC_WSDL_URL etc.)."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.jcc import JccClient
from hub.config import Settings

pytestmark = pytest.mark.live


def test_live_locations_and_one_day_of_appointments() -> None:
    settings = Settings().migration.jcc()
    with JccClient.from_settings(settings) as client:
        locations = client.location_ids()
        assert locations, "getGovLocations returned no locations"
        ids = client.appointment_ids(date.today(), locations[0])
        assert all(isinstance(i, str) and i for i in ids)
