"""KCM surveys through a real Hub and store: candidates from events, the batch to SFTP / HTTPS on loopback."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import flows.surveys  # noqa: F401 - registers the flow and the job
from connectors.kcm import KcmSettings, content_digest
from flows.surveys.batch import run_surveys
from hub.bootstrap import Hub
from hub.config import Settings
from hub.delivery import DeliveryProcessor
from hub.model import parse_event
from hub.registry import REGISTRY, FlowRegistry
from hub.scheduler import run_job
from hub.store.survey_tables import SurveyBatchRow, SurveyRespondentRow
from hub.store.surveys import PEER_CANDIDATE, DeliveredBatch, SurveyStore
from hub.store.tables import AuditRecord, JobState, Link
from mappings.kcm import contains_bsn, load_mapping
from sandbox.kcm import KcmReceiver
from sandbox.server import SandboxServer
from sandbox.sftp import SftpServer
from tests.support.events import FAKE_BSN, appointment, cloudevent
from tests.support.flows import Clock

DAY = date(2027, 3, 1)
FILE = load_mapping().file_name(DAY)
PASSWORD = "test-sftp-password"


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[SftpServer]:
    (tmp_path / "drop" / "upload").mkdir(parents=True)
    with SftpServer(tmp_path / "drop", username="hub", password=PASSWORD) as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2027, 3, 2, 5, 0, tzinfo=UTC))  # the morning after DAY


def _kcm(**changes: Any) -> KcmSettings:
    base: dict[str, Any] = {"respondent_key_secret": "test-secret", "retry_base_seconds": 0.01, "max_attempts": 3,
                            "timeout_seconds": 10, "remote_folder": "/upload", "username": "hub"}
    return KcmSettings(**{**base, **changes})


def _hub(settings: Settings, clock: Clock, kcm: KcmSettings) -> Hub:
    registry = FlowRegistry()
    registry.add(REGISTRY.get("surveys"))
    return Hub(settings.model_copy(update={"kcm": kcm}), registry=registry, now=clock, worker_name="test")


@pytest.fixture
def hub(settings: Settings, clock: Clock, sftp: SftpServer) -> Iterator[Hub]:
    h = _hub(settings, clock, _kcm(host="127.0.0.1", port=sftp.port, password=PASSWORD))
    yield h
    h.close()


def deliver_event(hub: Hub, raw: dict[str, Any]) -> list[str]:
    """Accept one CloudEvent and run its deliveries now; returns their final states."""
    accepted = hub.intake.accept([parse_event(raw)], "test")
    processor = DeliveryProcessor(hub)
    return [processor.process(d).status for a in accepted for d in a.delivery_ids]


def completed(appointment_id: str, version: int = 5, event_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    return cloudevent("completed", appointment_id, version, event_id=event_id, **overrides)


def customer(**changes: Any) -> dict[str, Any]:
    return {**appointment()["customer"], **changes}


def candidate_row(hub: Hub, appointment_id: str) -> Link | None:
    with hub.db.unit_of_work() as s:
        row = s.get(Link, (appointment_id, PEER_CANDIDATE))
        if row is not None:
            s.expunge(row)
        return row


def csv_rows(content: bytes) -> list[list[str]]:
    return [line.split(";") for line in content.decode().splitlines()[1:]]


# --- the candidate flow --------------------------------------------------------------------------------
def test_only_completed_visits_become_candidates_and_no_bsn_is_stored(hub: Hub) -> None:
    assert deliver_event(hub, cloudevent("booked", "A-1")) == []  # not consumed: nothing to do for a booking
    assert deliver_event(hub, cloudevent("no_show", "A-2", 2)) == ["succeeded"]
    assert deliver_event(hub, cloudevent("cancelled", "A-3", 2)) == ["succeeded"]
    assert deliver_event(hub, completed("A-4")) == ["succeeded"]
    assert candidate_row(hub, "A-1") is None and candidate_row(hub, "A-2") is None
    assert candidate_row(hub, "A-3") is None
    row = candidate_row(hub, "A-4")
    assert row is not None and row.data is not None and row.data["state"] == "pending"
    assert FAKE_BSN not in str(row.data) and "0612345678" not in str(row.data)
    assert row.data["candidate"]["email"] == "jan@example.nl"


def test_duplicate_delivery_changes_nothing(hub: Hub) -> None:
    deliver_event(hub, completed("A-1", event_id="e1"))
    first = candidate_row(hub, "A-1")
    hub.now.advance(60)  # type: ignore[attr-defined]
    assert deliver_event(hub, completed("A-1", event_id="e1-resent")) == ["succeeded"]
    again = candidate_row(hub, "A-1")
    assert first is not None and again is not None and again.updated_at == first.updated_at
    with hub.db.unit_of_work() as s:
        actions = s.scalars(select(AuditRecord.action).where(AuditRecord.flow == "surveys")).all()
    assert actions.count("record-candidate") == 1


def test_out_of_order_stale_snapshot_is_skipped_and_cancel_withdraws(hub: Hub) -> None:
    assert deliver_event(hub, completed("A-1", version=5)) == ["succeeded"]
    assert deliver_event(hub, cloudevent("cancelled", "A-1", 4)) == ["skipped"]  # older than the completion
    assert deliver_event(hub, completed("A-1", version=3, event_id="old")) == ["skipped"]
    row = candidate_row(hub, "A-1")
    assert row is not None and row.data is not None and row.data["state"] == "pending" and row.last_version == 5
    assert deliver_event(hub, cloudevent("no_show", "A-1", 6)) == ["succeeded"]
    row = candidate_row(hub, "A-1")
    assert row is not None and row.data is not None and row.data["state"] == "withdrawn"
    assert "candidate" not in row.data


def test_missing_secret_dead_letters_with_reason(settings: Settings, clock: Clock, sftp: SftpServer) -> None:
    h = _hub(settings, clock, _kcm(respondent_key_secret=""))
    try:
        assert deliver_event(h, completed("A-1")) == ["dead"]
        from hub import operations

        [dead] = operations.list_deliveries(h, status_="dead")
        assert "respondent key secret is not configured" in (dead.lastError or "")
    finally:
        h.close()


# --- the batch over SFTP -------------------------------------------------------------------------------
def _three_visits(hub: Hub) -> None:
    deliver_event(hub, completed("A-1"))
    deliver_event(hub, completed("A-2", customer=customer(bsn="111222333", email=None)))
    deliver_event(hub, completed("A-3", department="Zorg- en Veiligheidshuis",
                                 customer=customer(bsn=None, email="piet@example.nl")))


def test_batch_delivers_once_per_date_and_rerun_delivers_nothing(hub: Hub, sftp: SftpServer) -> None:
    _three_visits(hub)
    first = run_surveys(hub, DAY)
    assert first.error is None and first.days[0].delivered == 1
    assert first.days[0].counts["excluded.no_email"] == 1
    assert first.days[0].counts["excluded.excluded_department"] == 1
    assert sftp.list_files("upload") == [FILE]
    content = sftp.read_file(f"upload/{FILE}")
    [row] = csv_rows(content)
    assert row[2] == "jan@example.nl" and row[4] == "2027-03-01"
    assert FAKE_BSN not in content.decode() and not contains_bsn(content.decode())
    assert [op.kind for op in sftp.operations] == ["open-write", "rename"]
    assert sftp.operations[0].path == f"upload/{FILE}.part" and sftp.operations[1].target == f"upload/{FILE}"

    ops = len(sftp.operations)
    second = run_surveys(hub, DAY)
    assert second.days[0].delivered == 0 and second.days[0].counts["excluded.already_invited"] == 1
    assert len(sftp.operations) == ops  # nothing uploaded

    deliver_event(hub, completed("A-late", customer=customer(bsn=None, email="late@example.nl")))
    third = run_surveys(hub, DAY)
    assert third.days[0].delivered == 0 and third.days[0].counts["excluded.date_already_delivered"] == 1

    forced = run_surveys(hub, DAY, force=True)
    assert forced.days[0].delivered == 2 and sftp.list_files("upload") == [FILE]
    assert sorted(r[2] for r in csv_rows(sftp.read_file(f"upload/{FILE}"))) == ["jan@example.nl", "late@example.nl"]


def test_a_delivery_is_kept_in_the_survey_tables_not_as_links(hub: Hub, sftp: SftpServer) -> None:
    _three_visits(hub)
    assert run_surveys(hub, DAY).days[0].delivered == 1
    with hub.db.unit_of_work() as s:
        assert not set(s.scalars(select(Link.peer).distinct())) & {"kcm:batch", "kcm:respondent"}
        batch = s.get(SurveyBatchRow, DAY)
        assert batch is not None and (batch.file_name, batch.invitations) == (FILE, 1)
        assert [r.last_invited for r in s.scalars(select(SurveyRespondentRow))] == [DAY]
    assert SurveyStore(hub.db, hub.now).batch(DAY) == DeliveredBatch(DAY, FILE, batch.sha256, 1)


def test_dry_run_counts_per_rule_and_writes_nothing(hub: Hub, sftp: SftpServer) -> None:
    _three_visits(hub)
    result = run_surveys(hub, DAY, dry_run=True)
    counts = result.days[0].counts
    assert counts["candidates"] == 3 and counts["included"] == 1
    assert counts["excluded.no_email"] == 1 and counts["excluded.excluded_department"] == 1
    assert sftp.list_files("upload") == [] and sftp.operations == []
    assert SurveyStore(hub.db, hub.now).batch(DAY) is None
    assert run_surveys(hub, DAY).days[0].delivered == 1  # nothing was marked by the dry run


def test_interrupted_upload_leaves_no_partial_file_then_retry_delivers(hub: Hub, sftp: SftpServer) -> None:
    for i in range(40):  # big enough to be cut off mid-file
        deliver_event(hub, completed(f"A-{i}", customer=customer(bsn=None, email=f"klant{i}@example.nl")))
    sftp.fail_uploads(after_bytes=500, times=3)  # every attempt of this run
    failed = run_surveys(hub, DAY)
    assert failed.error is not None and "kcm sftp upload failed" in failed.error
    assert FILE not in sftp.list_files("upload")
    assert f"{FILE}.part" in sftp.list_files("upload")  # the cut-off temporary file, never the final name
    assert SurveyStore(hub.db, hub.now).batch(DAY) is None

    sftp.fail_uploads(after_bytes=500, times=1)  # transient: the first attempt fails, the retry succeeds
    result = run_surveys(hub, DAY)
    assert result.error is None and result.days[0].delivered == 40
    assert FILE in sftp.list_files("upload") and f"{FILE}.part" not in sftp.list_files("upload")
    assert len(csv_rows(sftp.read_file(f"upload/{FILE}"))) == 40


def test_permanent_failure_fails_the_job_naming_the_peer_error(settings: Settings, clock: Clock,
                                                               sftp: SftpServer) -> None:
    h = _hub(settings, clock, _kcm(port=sftp.port, password="wrong-password"))
    try:
        deliver_event(h, completed("A-1"))
        result = run_job(h, "surveys")
        assert result.outcome == "failed" and "PermissionDenied" in str(result.counts["error"])
        with h.db.unit_of_work() as s:
            state = s.get(JobState, "surveys")
            assert state is not None and state.last_outcome == "failed"
            assert "PermissionDenied" in (state.last_detail or "")
        assert sftp.list_files("upload") == [] and SurveyStore(h.db, h.now).batch(DAY) is None
    finally:
        h.close()


def test_scheduled_job_sends_due_dates_once(hub: Hub, sftp: SftpServer, clock: Clock) -> None:
    deliver_event(hub, completed("A-1"))
    assert run_job(hub, "surveys", dry_run=True).counts["delivered"] == 0 and sftp.list_files("upload") == []
    first = run_job(hub, "surveys")
    assert first.outcome == "ok" and first.counts["delivered"] == 1 and first.counts["dates"] == "2027-03-01"
    with hub.db.reading() as s:
        invitee = s.scalars(select(AuditRecord).where(AuditRecord.action == "job:surveys: subject")).one()
        parent = s.scalars(select(AuditRecord).where(AuditRecord.action == "job:surveys",
                                                     AuditRecord.trace_id == invitee.trace_id)).one()
        assert invitee.parent_span_id == parent.parent_span_id  # both children of the job's span
        assert invitee.data_subject_id_type == "EMAIL"
        assert hub.audit.cipher.decrypt(invitee.data_subject_id or "", "EMAIL") == "jan@example.nl"
    assert run_job(hub, "surveys").counts["dates"] == "-"
    assert sftp.list_files("upload") == [FILE]


def test_not_invited_again_within_90_days(hub: Hub, sftp: SftpServer, clock: Clock) -> None:
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    for i, days in enumerate((0, 30, 91)):
        deliver_event(hub, completed(f"A-{i}", start=start + timedelta(days=days)))
    delivered = [run_surveys(hub, DAY + timedelta(days=d)).days[0] for d in (0, 30, 91)]
    assert [d.delivered for d in delivered] == [1, 0, 1]
    assert delivered[1].counts["excluded.recently_invited"] == 1


def test_opt_out_list_excludes_by_email(settings: Settings, clock: Clock, sftp: SftpServer, tmp_path: Path) -> None:
    optout = tmp_path / "optout.txt"
    optout.write_text("# opted out at KCM\nJAN@example.nl\n")
    h = _hub(settings, clock, _kcm(port=sftp.port, password=PASSWORD, opt_out_list_path=str(optout)))
    try:
        deliver_event(h, completed("A-1"))
        deliver_event(h, completed("A-2", customer=customer(bsn=None, email="else@example.nl", surveyOptOut=True)))
        result = run_surveys(h, DAY)
        assert result.days[0].counts["excluded.opted_out"] == 2 and result.days[0].delivered == 0
        assert sftp.list_files("upload") == []
    finally:
        h.close()


def test_purge_removes_candidate_data_after_retention(hub: Hub, sftp: SftpServer, clock: Clock) -> None:
    deliver_event(hub, completed("A-1"))
    run_surveys(hub, DAY)
    clock.advance(29 * 86400)
    assert run_surveys(hub, DAY).purged == 0
    row = candidate_row(hub, "A-1")
    assert row is not None and row.data is not None and row.data["candidate"]["email"] == "jan@example.nl"
    clock.advance(2 * 86400)  # 31 days after delivery; retention is 30
    assert run_surveys(hub, DAY).purged == 1
    row = candidate_row(hub, "A-1")
    assert row is not None and row.data is not None and "candidate" not in row.data
    assert "jan@example.nl" not in str(row.data) and row.remote_id == FILE  # the invitation marker stays
    # the same visit arriving again is never invited twice
    assert deliver_event(hub, completed("A-1", version=6, event_id="again")) == ["succeeded"]
    assert run_surveys(hub, DAY, force=True).days[0].delivered == 0


# --- the batch over HTTPS ------------------------------------------------------------------------------
@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[KcmReceiver]:
    sim = KcmReceiver(tmp_path / "https-drop")
    with SandboxServer(sim):
        yield sim


def test_https_delivery_retries_transient_failure(settings: Settings, clock: Clock, receiver: KcmReceiver) -> None:
    h = _hub(settings, clock, _kcm(delivery="https", upload_url=receiver.upload_url))
    try:
        deliver_event(h, completed("A-1"))
        receiver.set_faults(fail_next=[503])
        result = run_surveys(h, DAY)
        assert result.error is None and result.days[0].delivered == 1
        assert receiver.files() == [FILE]
        # checksum (list) answered 503, retried; then the upload
        assert [(c.method, c.status) for c in receiver.calls.all()] == [("GET", 503), ("GET", 200), ("PUT", 201)]
        receiver.set_faults(fail_next=[503])  # now the upload itself fails once (--force reads nothing first)
        deliver_event(h, completed("A-2", customer=customer(bsn=None, email="b@example.nl")))
        assert run_surveys(h, DAY, force=True).days[0].delivered == 2
        assert [(c.method, c.status) for c in receiver.calls.all()][-2:] == [("PUT", 503), ("PUT", 201)]
        assert run_surveys(h, DAY).days[0].delivered == 0
    finally:
        h.close()


def test_https_permanent_failure_names_the_status(settings: Settings, clock: Clock, receiver: KcmReceiver) -> None:
    h = _hub(settings, clock, _kcm(delivery="https", upload_url=receiver.upload_url, upload_token="wrong"))
    try:
        deliver_event(h, completed("A-1"))
        result = run_surveys(h, DAY)
        assert result.error is not None and "kcm https" in result.error and "401" in result.error
        assert receiver.files() == []
    finally:
        h.close()


def test_https_receiver_refuses_an_incomplete_body(receiver: KcmReceiver) -> None:
    content = b"record_id;email\r\nV1;a@example.nl\r\n"
    headers = {"Authorization": "Bearer sandbox-kcm-token", "Content-Digest": content_digest(content)}
    response = httpx.put(f"{receiver.upload_url}/{FILE}", content=content[:10], headers=headers)
    assert response.status_code == 400 and receiver.files() == []
    ok = httpx.put(f"{receiver.upload_url}/{FILE}", content=content, headers=headers)
    assert ok.status_code == 201 and ok.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert receiver.read(FILE) == content
