"""Alerts: sent once per episode to a loopback webhook and SMTP server, "resolved" when the condition ends,
one message however many processes check, no personal data in anything sent."""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from hub.alerts.channels import SmtpChannel, WebhookChannel
from hub.alerts.engine import AlertEngine, alert_rows
from hub.alerts.settings import AlertSettings, SmtpSettings
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.breaker import Breaker
from hub.breaker_settings import BreakerSettings
from hub.config import Settings
from hub.loops import LoopRegistry
from hub.model import parse_event
from hub.scheduler import JOBS, JobResult, JobSpec
from hub.store.tables import Delivery, DeliveryStatus, JobState
from tests.integration.test_console_routes import login
from tests.support.alert_receivers import smtp_server, webhook
from tests.support.events import cloudevent
from tests.support.flows import Clock
from tests.support.privacy import FIXTURE_VALUES, find_personal_data

REASON = "peer said 400: customer 999993653 jan@example.nl 0612345678 rejected"


def _alerts(settings: Settings, **values: object) -> Settings:
    return settings.model_copy(update={"alerts": AlertSettings(dead_letters_flow=2, dead_letters_total=50,
                                                               console_url="https://hub.example.nl/console",
                                                               **values)})  # type: ignore[arg-type]


def _hub(settings: Settings, hub: Hub, clock: Clock, name: str) -> Hub:
    return Hub(settings, registry=hub.registry, now=clock, worker_name=name)


def _dead_letters(hub: Hub, n: int, prefix: str = "A") -> list[int]:
    """`n` dead deliveries of flow `recorder`, each with personal data in its event and its reason."""
    accepted = hub.intake.accept([parse_event(cloudevent(appointment_id=f"{prefix}-{i}")) for i in range(n)],
                                 "test")
    ids = [d for a in accepted for d in a.delivery_ids]
    with hub.db.unit_of_work() as s:
        s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(status=DeliveryStatus.DEAD, last_error=REASON))
    return ids


def _revive(hub: Hub, ids: list[int]) -> None:
    with hub.db.unit_of_work() as s:
        s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(status=DeliveryStatus.SUCCEEDED))


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2027, 3, 1, 8, 0, tzinfo=UTC))


@pytest.fixture(autouse=True)
def no_jobs() -> Iterator[None]:
    saved = dict(JOBS)
    JOBS.clear()
    yield
    JOBS.clear()
    JOBS.update(saved)


def test_dead_letters_alert_once_then_resolved_and_no_personal_data(settings: Settings, hub: Hub,
                                                                    clock: Clock) -> None:
    ids = _dead_letters(hub, 3)
    with webhook() as hook:
        a = _hub(_alerts(settings, webhook_url=hook.url), hub, clock, "proc-a")
        b = _hub(_alerts(settings, webhook_url=hook.url), hub, clock, "proc-b")
        try:
            first = AlertEngine(a).check()
            assert first.opened == ["dead-letters:recorder"] and first.sent == ["firing:dead-letters:recorder"]
            clock.advance(60)
            assert AlertEngine(b).check().sent == [] and AlertEngine(a).check().sent == []  # deduplicated
            assert len(hook.bodies) == 1
            [fired] = hook.bodies
            assert fired["status"] == "firing" and fired["title"].startswith("[afsprakenhub] Storing: 3 dode berichten")
            assert fired["link"] == "https://hub.example.nl/console/dead-letters?status=dead&flow=recorder"
            assert "text" in fired and fired["@type"] == "MessageCard"  # Teams shows `text` as is

            _revive(hub, ids[:2])
            clock.advance(20 * 60)
            done = AlertEngine(b).check()
            assert done.resolved == ["dead-letters:recorder"] and done.sent == ["resolved:dead-letters:recorder"]
            assert AlertEngine(a).check().sent == []
            [_, resolved] = hook.bodies
            assert resolved["status"] == "resolved" and resolved["title"].startswith("[afsprakenhub] Opgelost:")
            assert "duurde 21 minuten" in resolved["text"]
            assert find_personal_data([("webhook", t) for t in hook.texts()], FIXTURE_VALUES) == []

            _dead_letters(hub, 3, prefix="B")  # a new episode: alerted again
            assert AlertEngine(a).check().sent == ["firing:dead-letters:recorder"]
        finally:
            a.close()
            b.close()


def test_email_over_smtp_in_dutch_with_console_link(settings: Settings, hub: Hub, clock: Clock) -> None:
    _dead_letters(hub, 60)
    with smtp_server() as (box, port):
        s = _alerts(settings, smtp=SmtpSettings(host="127.0.0.1", port=port, to=["beheer@example.nl"]))
        h = _hub(s, hub, clock, "mail")
        try:
            result = AlertEngine(h).check()
            assert sorted(result.sent) == ["firing:dead-letters:recorder", "firing:dead-letters:total"]
        finally:
            h.close()
    assert len(box.messages) == 2
    mails = [email.message_from_string(m, policy=default_policy) for m in box.messages]
    total = next(m for m in mails if "alle flows" in str(m["Subject"]))
    assert str(total["Subject"]).strip() == "[afsprakenhub] Storing: 60 dode berichten in alle flows samen (drempel 50)"
    body = total.get_body().get_content()  # type: ignore[union-attr]
    assert "Bekijk het in de console: https://hub.example.nl/console/dead-letters?status=dead" in body
    assert find_personal_data([("smtp", m) for m in box.messages], FIXTURE_VALUES) == []


def test_a_failed_send_is_tried_again_at_the_next_check(settings: Settings, hub: Hub, clock: Clock) -> None:
    _dead_letters(hub, 3)
    with webhook() as hook:
        h = _hub(_alerts(settings, webhook_url=hook.url), hub, clock, "p")
        try:
            hook.status = 503
            failed = AlertEngine(h).check()
            assert failed.failed == ["dead-letters:recorder"] and failed.sent == []
            [row] = alert_rows(h)
            assert row.notified_at is None and "503" in (row.last_send_error or "")
            hook.status = 200
            assert AlertEngine(h).check().sent == ["firing:dead-letters:recorder"]
            assert len(hook.bodies) == 1
        finally:
            h.close()


def test_missed_job_slot(settings: Settings, hub: Hub, clock: Clock) -> None:
    JOBS["nightly"] = JobSpec("nightly", lambda hub, dry_run: JobResult(), "0 2 * * *", "test")
    JOBS["hourly"] = JobSpec("hourly", lambda hub, dry_run: JobResult(), "0 * * * *", "test")
    h = _hub(_alerts(settings, job_grace_minutes=30), hub, clock, "p")  # now 08:00
    try:
        with h.db.unit_of_work() as s:
            s.add(JobState(job="nightly", last_slot=datetime(2027, 3, 1, 2, 0, tzinfo=UTC)))
            s.add(JobState(job="hourly", last_slot=datetime(2027, 3, 1, 6, 0, tzinfo=UTC)))
        active = AlertEngine(h, channels=[]).check().active
        assert active == ["job-missed:hourly"]  # 07:00 passed more than 30 minutes ago; 02:00 ran
        with h.db.unit_of_work() as s:
            s.execute(update(JobState).where(JobState.job == "hourly")
                      .values(last_slot=datetime(2027, 3, 1, 7, 0, tzinfo=UTC)))
        assert AlertEngine(h, channels=[]).check().resolved == ["job-missed:hourly"]
    finally:
        h.close()


def test_no_scheduler_ever_ran_is_quiet(settings: Settings, hub: Hub, clock: Clock) -> None:
    JOBS["nightly"] = JobSpec("nightly", lambda hub, dry_run: JobResult(), "0 2 * * *", "test")
    h = _hub(_alerts(settings), hub, clock, "p")
    try:
        assert AlertEngine(h, channels=[]).check().active == []
    finally:
        h.close()


def test_stopped_loop_is_its_own_process_to_resolve(settings: Settings, hub: Hub, clock: Clock) -> None:
    ticks = [0.0]
    loops = LoopRegistry(clock=lambda: ticks[0])
    beat = loops.register("sweeper", 10.0)
    a = _hub(_alerts(settings), hub, clock, "proc-a")
    b = _hub(_alerts(settings), hub, clock, "proc-b")
    try:
        ticks[0] = 51.0  # more than 5 intervals without a pass
        assert AlertEngine(a, channels=[], loops=loops).check().opened == ["loop-stopped:proc-a:sweeper"]
        assert AlertEngine(b, channels=[], loops=LoopRegistry()).check().resolved == []  # not b's loop
        loops.passed(beat)
        assert AlertEngine(a, channels=[], loops=loops).check().resolved == ["loop-stopped:proc-a:sweeper"]
    finally:
        a.close()
        b.close()


def test_intake_shedding(settings: Settings, hub: Hub, clock: Clock) -> None:
    hub.intake.accept([parse_event(cloudevent(appointment_id=f"A-{i}")) for i in range(3)], "test")
    with webhook() as hook:
        h = _hub(_alerts(settings, webhook_url=hook.url).model_copy(update={"intake_max_backlog": 2}), hub, clock,
                 "p")
        try:
            assert AlertEngine(h).check().active == ["intake-shedding"]
        finally:
            h.close()
    [shed] = hook.bodies
    assert "3 wachtende leveringen, grens 2" in shed["text"]


def test_a_peer_whose_breaker_opens_alerts_and_resolves_when_it_closes(settings: Settings, hub: Hub,
                                                                        clock: Clock) -> None:
    with webhook() as hook:
        h = _hub(_alerts(settings, webhook_url=hook.url), hub, clock, "p")
        breaker = Breaker(h, BreakerSettings(failure_threshold=2, open_seconds=30, cache_seconds=0))
        try:
            breaker.failed("salesforce", False, "timeout")
            assert AlertEngine(h).check().active == []  # one failure: still closed
            breaker.failed("salesforce", False, "timeout")
            assert AlertEngine(h).check().sent == ["firing:peer-open:salesforce"]
            clock.advance(31)
            assert breaker.before("salesforce") is True  # half-open probe: still the same episode
            assert AlertEngine(h).check().sent == []
            breaker.succeeded("salesforce", probe=True)
            assert AlertEngine(h).check().sent == ["resolved:peer-open:salesforce"]
        finally:
            h.close()
    fired, resolved = hook.bodies
    assert "koppeling met salesforce staat open" in fired["text"] and resolved["status"] == "resolved"
    assert fired["link"] == "https://hub.example.nl/console/peers"


def test_cli_list_and_test_message(settings: Settings, hub: Hub, clock: Clock,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.cli import app
    from hub.config import get_settings

    _dead_letters(hub, 3)
    h = _hub(_alerts(settings), hub, clock, "p")
    try:
        AlertEngine(h, channels=[]).check()
    finally:
        h.close()
    monkeypatch.setenv("AFSPRAKENHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AFSPRAKENHUB_FLOW_MODULES", "[]")
    runner = CliRunner()
    get_settings.cache_clear()
    try:
        listed = runner.invoke(app, ["alerts", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        [row] = json.loads(listed.stdout)
        assert row["key"] == "dead-letters:recorder" and row["notifiedAt"] is None
        refused = runner.invoke(app, ["alerts", "test"])
        assert refused.exit_code == 2 and "AFSPRAKENHUB_ALERTS__WEBHOOK_URL" in refused.output
        with webhook() as hook:
            monkeypatch.setenv("AFSPRAKENHUB_ALERTS__WEBHOOK_URL", hook.url)
            get_settings.cache_clear()
            sent = runner.invoke(app, ["alerts", "test", "--json"])
            assert sent.exit_code == 0, sent.output
            assert json.loads(sent.stdout) == {"reached": ["webhook"], "errors": []}
            [test] = hook.bodies
            assert test["title"] == "[afsprakenhub] Testmelding" and test["status"] == "test"
    finally:
        get_settings.cache_clear()


def test_console_shows_open_alerts(settings: Settings, hub: Hub, clock: Clock) -> None:
    _dead_letters(hub, 3)
    h = _hub(_alerts(settings), hub, clock, "p")
    try:
        AlertEngine(h, channels=[]).check()
    finally:
        h.close()
    with TestClient(create_app(hub)) as client:
        assert login(client).status_code == 303
        page = client.get("/console/alerts")
    assert page.status_code == 200
    assert 'data-alert="dead-letters:recorder"' in page.text and "3 dode berichten in flow recorder" in page.text
    assert 'href="/console/dead-letters?status=dead&amp;flow=recorder"' in page.text


def test_channels_are_typed_senders() -> None:
    assert WebhookChannel("http://127.0.0.1:9/x").name == "webhook"
    assert SmtpChannel(AlertSettings(smtp=SmtpSettings(host="127.0.0.1", to=["a@example.nl"]))).name == "email"


def test_resolved_before_it_was_sent_sends_nothing(settings: Settings, hub: Hub, clock: Clock) -> None:
    ids = _dead_letters(hub, 3)
    h = _hub(_alerts(settings), hub, clock, "p")
    try:
        AlertEngine(h, channels=[]).check()  # recorded, no channel yet
        _revive(hub, ids)
        clock.advance(timedelta(minutes=5).total_seconds())
        with webhook() as hook:
            assert AlertEngine(h, channels=[WebhookChannel(hook.url)]).check().sent == []
        assert hook.bodies == []
    finally:
        h.close()
