"""Read-only checks against a real Open Zaak / Open Notificaties (`--live`).

Configuration from the environment, as the hub reads it: AFSPRAKENHUB_ZGW__ZAKEN_BASE_URLS (JSON list),
…__CATALOGI_BASE_URL, …__NRC_URL, …__CLIENT_ID, …__CLIENT_SECRET (or …__AUTH_MODE=bearer and
…__BEARER_TOKEN), …__CALLBACK_URL.
"""

from __future__ import annotations

import os

import pytest

from connectors.zgw import NotificatiesClient, ZakenClient
from hub.config import Settings

pytestmark = pytest.mark.live
REQUIRED = ("ZAKEN_BASE_URLS", "NRC_URL", "CALLBACK_URL")


@pytest.fixture(scope="module")
def settings() -> Settings:
    missing = [f"AFSPRAKENHUB_ZGW__{k}" for k in REQUIRED if not os.environ.get(f"AFSPRAKENHUB_ZGW__{k}")]
    if missing:
        pytest.fail("--live needs " + ", ".join(missing), pytrace=False)
    return Settings()


def test_live_jwt_is_accepted_by_the_zaken_api(settings: Settings) -> None:
    with_client = ZakenClient.from_settings(settings.zgw, max_retries=1)
    try:
        assert with_client.check_access() >= 0  # a 401/403 raises
    finally:
        with_client.close()


def test_live_abonnement_exists(settings: Settings) -> None:
    client = NotificatiesClient.from_settings(settings.zgw, max_retries=1)
    try:
        found = client.find_abonnementen(settings.zgw.callback_url)
    finally:
        client.close()
    assert found, f"no abonnement at the NRC sends to {settings.zgw.callback_url}; run: afsprakenhub zgw subscribe"
    assert any(k.naam == "zaken" for a in found for k in a.kanalen)
