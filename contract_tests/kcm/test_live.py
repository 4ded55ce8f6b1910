"""Read-only check against the real KCM drop folder (`--live`): connect and list, never write.

Configuration from the environment as the hub reads it: AFSPRAKENHUB_KCM__DELIVERY (sftp|https),
…__HOST, …__PORT, …__USERNAME, …__PASSWORD or …__PRIVATE_KEY_PATH, …__KNOWN_HOSTS_PATH,
…__REMOTE_FOLDER; for https …__UPLOAD_URL and …__UPLOAD_TOKEN.
"""

from __future__ import annotations

import os

import pytest

from connectors.kcm import KcmClient
from hub.config import Settings

pytestmark = pytest.mark.live


def test_list_the_drop_folder() -> None:
    if not any(os.environ.get(f"AFSPRAKENHUB_KCM__{k}") for k in ("HOST", "UPLOAD_URL")):
        pytest.skip("KCM not configured: set AFSPRAKENHUB_KCM__HOST (sftp) or AFSPRAKENHUB_KCM__UPLOAD_URL (https)")
    settings = Settings().kcm
    client = KcmClient.from_settings(settings)
    try:
        files = client.list_files()
    finally:
        client.close()
    assert all(f.name for f in files)
