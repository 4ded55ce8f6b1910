"""Read-only `--live` check: the app can read the configured mailboxes' calendars (no writes).

Credentials from the environment: AFSPRAKENHUB_OUTLOOK__TENANT_ID, __CLIENT_ID, __CLIENT_SECRET,
__AUTHORITY_URL, __GRAPH_BASE_URL and __BOOKABLE_EMPLOYEES (JSON); room mailboxes to check in
AFSPRAKENHUB_OUTLOOK_LIVE_ROOMS (comma-separated, optional).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from connectors.outlook import GraphClient
from hub.config import Settings
from hub.errors import DeliveryError

pytestmark = pytest.mark.live


def test_app_can_read_the_configured_calendars() -> None:
    if not os.environ.get("AFSPRAKENHUB_OUTLOOK__CLIENT_SECRET"):
        pytest.skip("Graph not configured: set AFSPRAKENHUB_OUTLOOK__* (see runbooks/outlook.md)")
    settings = Settings().outlook
    rooms = [r.strip() for r in os.environ.get("AFSPRAKENHUB_OUTLOOK_LIVE_ROOMS", "").split(",") if r.strip()]
    mailboxes = [*settings.bookable_employees.values(), *rooms]
    if not mailboxes:
        pytest.skip("no mailboxes configured (bookable_employees or AFSPRAKENHUB_OUTLOOK_LIVE_ROOMS)")
    start = datetime.now(UTC)
    with GraphClient.from_settings(settings) as client:
        views = client.calendar_views(mailboxes, start, start + timedelta(days=1))
        schedule = client.get_schedule(mailboxes[:20], start, start + timedelta(days=1), 30)
    unreadable = [m for m, v in views.items() if isinstance(v, DeliveryError)]
    assert unreadable == [], f"{len(unreadable)} mailbox(es) not readable: {[str(views[m]) for m in unreadable]}"
    assert {s.schedule_id.lower() for s in schedule} == {m.lower() for m in mailboxes[:20]}
