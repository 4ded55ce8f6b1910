"""Zaak closure through a real Hub and store against the Open Zaak, NRC and register simulators on loopback.

End to end: Open Zaak publishes to the NRC, the NRC posts to the hub's webhook with the agreed auth,
the flow reads the zaak and closes the linked appointments in the register. Direct: a notification
is accepted and its delivery processed in the foreground, for exact control over failures and order.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from cloudevents.core.bindings.http import to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from pydantic import SecretStr
from sqlalchemy import select

from connectors.zgw import REFUSED, ZgwSettings
from flows.zaak_closure import FLOW, zaak_key
from hub import operations
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.cli_zgw import ensure_subscription
from hub.config import Settings
from hub.delivery import Outcome
from hub.model import Appointment, AppointmentStatus
from hub.notificaties import Notificatie
from hub.registry import REGISTRY, FlowRegistry
from hub.serving import ThreadedServer
from hub.settings import RegisterSettings
from hub.store.tables import AuditRecord, Delivery, InboxEvent
from sandbox.register import RegisterSimulator
from sandbox.server import SandboxServer
from sandbox.zgw import DEFAULT_CLIENT_ID, DEFAULT_SECRET, Client, JwtChecker, NotificatiesSimulator, OpenZaakSimulator
from tests.conftest import AUTH
from tests.support.events import AMS
from tests.support.flows import wait_for

NRC_AUTH = "Bearer agreed-with-the-nrc-0123456789"
START = datetime(2027, 3, 1, 9, 0, tzinfo=AMS)


@dataclass
class Peers:
    register: RegisterSimulator
    openzaak: OpenZaakSimulator
    nrc: NotificatiesSimulator

    def book(self, case_reference: str | None, then: str | None = None) -> Appointment:
        a = self.register.book(START + timedelta(minutes=15 * len(self.register.appointments())),
                               case_reference=case_reference)
        if then is not None:
            getattr(self.register, then)(a.id)
        return self.register.get(a.id)

    def close_calls(self) -> list[str]:
        return [c.path.split("/")[-2] for c in self.register.calls.find("POST", "/api/v1/appointments/*")
                if c.path.endswith("/close")]


@pytest.fixture
def peers() -> Iterator[Peers]:
    checker = JwtChecker(clients={DEFAULT_CLIENT_ID: Client(DEFAULT_SECRET)})
    nrc = NotificatiesSimulator(auth=checker)
    openzaak = OpenZaakSimulator(auth=checker, nrc=nrc)
    register = RegisterSimulator()
    with SandboxServer(register, openzaak, nrc):
        # readable: only the "aanvraag" zaaktype (a "vertrouwelijk" zaak answers 403)
        checker.clients[DEFAULT_CLIENT_ID].zaaktypen = {openzaak.zaaktype_url("aanvraag")}
        yield Peers(register, openzaak, nrc)


def hub_settings(settings: Settings, peers: Peers, **zgw: Any) -> Settings:
    return settings.model_copy(update={
        "notificaties_auth": SecretStr(NRC_AUTH),
        "register_api": RegisterSettings(base_url=peers.register.api_url, token_url=peers.register.token_url,
                                         max_retries=0),
        "zgw": ZgwSettings(zaken_base_urls=[peers.openzaak.zaken_url], catalogi_base_url=peers.openzaak.catalogi_url,
                           nrc_url=peers.nrc.api_url, max_retries=0, **zgw),
    })


def only_this_flow() -> FlowRegistry:
    registry = FlowRegistry()
    registry.add(REGISTRY.get(FLOW))
    return registry


@pytest.fixture
def hub(settings: Settings, peers: Peers) -> Iterator[Hub]:
    h = Hub(hub_settings(settings, peers), registry=only_this_flow(), worker_name="test")
    yield h
    h.close()


@pytest.fixture
def served(settings: Settings, peers: Peers) -> Iterator[tuple[Hub, str]]:
    """The hub's API on loopback with in-process workers, subscribed at the NRC."""
    h = Hub(hub_settings(settings, peers), registry=only_this_flow(), worker_name="test")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = ThreadedServer(create_app(h, start_runtime=True), sock).start()
    try:
        ensure_subscription(h.settings, callback_url=f"{server.url}/api/v1/notificaties")
        yield h, server.url
    finally:
        server.stop()
        h.close()


# -- helpers ---------------------------------------------------------------------------------------

def deliveries(hub: Hub) -> list[Delivery]:
    with hub.db.unit_of_work() as s:
        rows = list(s.scalars(select(Delivery).order_by(Delivery.id)))
        s.expunge_all()
        return rows


def settled(hub: Hub, count: int) -> bool:
    rows = deliveries(hub)
    return len(rows) >= count and all(r.status in ("succeeded", "dead", "skipped") for r in rows)


def accept(hub: Hub, message: dict[str, Any]) -> list[int]:
    note = Notificatie.model_validate(message)
    [accepted] = hub.intake.accept([note.as_cloudevent()], "nrc", dedupe_keys=[note.dedupe_key])
    return list(accepted.delivery_ids)


def process(hub: Hub, delivery_id: int, attempts: int = 5) -> list[Outcome]:
    """Run one delivery in the foreground until it is finished (retries included)."""
    outcomes: list[Outcome] = []
    for _ in range(attempts):
        wait_for(lambda: (d := operations.get_delivery(hub, delivery_id)) is not None
                 and (d.nextAttemptAt is None or d.nextAttemptAt <= hub.now() + timedelta(seconds=1)), 5)
        outcomes.append(hub.runtime.processor.process(delivery_id))
        if outcomes[-1].retry_in is None:
            break
    return outcomes


def deliver(hub: Hub, message: dict[str, Any]) -> Outcome:
    [delivery_id] = accept(hub, message)
    return process(hub, delivery_id)[-1]


def audits(hub: Hub, action: str) -> list[AuditRecord]:
    with hub.db.unit_of_work() as s:
        rows = list(s.scalars(select(AuditRecord).where(AuditRecord.flow == FLOW, AuditRecord.action == action)))
        s.expunge_all()
        return rows


# -- end to end: NRC → hub webhook → flow ------------------------------------------------------------

def test_closing_a_zaak_closes_exactly_its_open_appointments(served: tuple[Hub, str], peers: Peers) -> None:
    hub, _ = served
    peers.openzaak.create_zaak("ZAAK-1")
    peers.openzaak.create_zaak("ZAAK-2")
    open_one = peers.book("ZAAK-1")
    no_show = peers.book("ZAAK-1", then="no_show")
    completed = peers.book("ZAAK-1", then="complete")
    cancelled = peers.book("ZAAK-1", then="cancel")
    other_zaak = peers.book("ZAAK-2")
    no_zaak = peers.book(None)
    assert peers.nrc.flush(10) and wait_for(lambda: settled(hub, 2), 10)  # the two "ontvangen" statuses

    peers.openzaak.close_zaak("ZAAK-1")
    assert peers.nrc.flush(10) and wait_for(lambda: settled(hub, 3), 10)

    status = {a.id: peers.register.get(a.id).status for a in
              (open_one, no_show, completed, cancelled, other_zaak, no_zaak)}
    assert status == {open_one.id: AppointmentStatus.CLOSED, no_show.id: AppointmentStatus.CLOSED,
                      completed.id: AppointmentStatus.COMPLETED, cancelled.id: AppointmentStatus.CANCELLED,
                      other_zaak.id: AppointmentStatus.BOOKED, no_zaak.id: AppointmentStatus.BOOKED}
    # finished appointments: no call at all; the customer is not notified of the close
    assert sorted(peers.close_calls()) == sorted([open_one.id, no_show.id])
    close_bodies = [c.body for c in peers.register.calls.find("POST", "/api/v1/appointments/*")]
    assert close_bodies == [{"reason": "zaak afgesloten", "notifyCustomer": False}] * 2
    assert not any(n.kind == "closed" for n in peers.register.notifications_sent)
    assert all(d.delivered for d in peers.nrc.deliveries)
    # zaak create is accepted (204) but routed to no flow
    with hub.db.unit_of_work() as s:
        types = sorted(s.scalars(select(InboxEvent.type)))
    assert types.count("nl.overheid.zaken.zaak.create") == 2 and len(deliveries(hub)) == 3


def test_duplicate_and_later_notifications_change_nothing(served: tuple[Hub, str], peers: Peers) -> None:
    hub, _ = served
    peers.openzaak.create_zaak("ZAAK-1")
    appointment = peers.book("ZAAK-1")
    peers.openzaak.close_zaak("ZAAK-1")
    assert peers.nrc.flush(10) and wait_for(lambda: settled(hub, 2), 10)
    assert peers.close_calls() == [appointment.id]

    peers.nrc.publish(peers.openzaak.published[-1])            # the NRC sends the same message again
    peers.openzaak.update_zaak("ZAAK-1", omschrijving="x")       # zaak partial_update of the closed zaak
    assert peers.nrc.flush(10) and wait_for(lambda: settled(hub, 3), 10)
    assert len(deliveries(hub)) == 3                             # the repeat was a duplicate: no delivery
    assert peers.close_calls() == [appointment.id]               # already closed: no second call


def test_cloudevent_on_the_events_endpoint(served: tuple[Hub, str], peers: Peers) -> None:
    hub, url = served
    zaak = peers.openzaak.create_zaak("ZAAK-CE")
    appointment = peers.book("ZAAK-CE")
    peers.openzaak.close_zaak("ZAAK-CE")
    assert peers.nrc.flush(10) and wait_for(lambda: settled(hub, 2), 10)
    peers.register.state.change(appointment.id, {"status": AppointmentStatus.BOOKED}, None)  # reset for this test
    event = {"specversion": "1.0", "id": "oz-1", "source": "urn:nl:openzaak", "type": "nl.overheid.zaken.zaak.updated",
             "subject": zaak["url"], "datacontenttype": "application/json", "data": {"url": zaak["url"]}}
    response = httpx.post(f"{url}/api/v1/events", json=event,
                          headers={**AUTH, "Content-Type": "application/cloudevents+json"})
    assert response.status_code == 202
    assert wait_for(lambda: settled(hub, 3), 10)
    assert peers.register.get(appointment.id).status == AppointmentStatus.CLOSED
    assert peers.close_calls() == [appointment.id, appointment.id]


@pytest.mark.parametrize("kind", ["zaak-gesloten", "zaakstatus-gewijzigd"])
def test_nl_gov_profile_zaak_event_closes_the_appointment(served: tuple[Hub, str], peers: Peers, kind: str) -> None:
    """A zaak event in the NL GOV CloudEvents profile's shape, sent by the SDK in binary mode, ends with a closed
    appointment: routed through the type → flow table, not left unrouted."""
    hub, url = served
    zaak = peers.openzaak.create_zaak("ZAAK-NL")
    appointment = peers.book("ZAAK-NL")
    assert peers.nrc.flush(10) and wait_for(lambda: settled(hub, 1), 10)
    status = peers.openzaak.close_zaak("ZAAK-NL")  # its classic notification is not sent: only the CloudEvent
    event = SdkEvent({"specversion": "1.0", "id": f"oz-nl-{kind}", "type": f"nl.overheid.zaken.{kind}",
                      "source": "urn:nld:oin:00000001823288444000:systeem:openzaak", "subject": zaak["uuid"],
                      "datacontenttype": "application/json", "dataref": zaak["url"]},
                     {"zaak": zaak["url"], "status": status["url"]})
    message = to_binary(event, JSONFormat())
    response = httpx.post(f"{url}/api/v1/events", content=message.body, headers={**message.headers, **AUTH})
    assert response.status_code == 202, response.text

    def outcome() -> Delivery | None:
        with hub.db.unit_of_work() as s:
            row = s.scalars(select(Delivery).join(InboxEvent, InboxEvent.id == Delivery.inbox_id)
                            .where(InboxEvent.type == f"nl.overheid.zaken.{kind}")).one_or_none()
            if row is not None:
                s.expunge(row)
            return row

    assert wait_for(lambda: (d := outcome()) is not None and d.status == "succeeded", 10)
    assert peers.register.get(appointment.id).status == AppointmentStatus.CLOSED
    mine = [a for a in audits(hub, "zaak-closed") if a.references.get("correlationId") == f"oz-nl-{kind}"]
    assert [a.outcome for a in mine] == ["applied"]  # this event's delivery decided the zaak was closed
    assert f"nl.overheid.zaken.{kind}" not in operations.status(hub)["unrouted"]


def test_other_kanalen_get_204_and_no_delivery(served: tuple[Hub, str]) -> None:
    hub, url = served
    message = {"kanaal": "documenten", "hoofdObject": "https://drc.example.nl/api/v1/enkelvoudiginformatieobjecten/1",
               "resource": "enkelvoudiginformatieobject", "actie": "create", "aanmaakdatum": "2027-03-01T12:00:00Z",
               "resourceUrl": "https://drc.example.nl/api/v1/enkelvoudiginformatieobjecten/1", "kenmerken": {}}
    response = httpx.post(f"{url}/api/v1/notificaties", json=message, headers={"Authorization": NRC_AUTH})
    assert response.status_code == 204
    assert operations.status(hub)["inbox"] == {"received": 1, "processed": 1, "pending": 0}
    assert deliveries(hub) == []


def test_wrong_auth_is_401_and_stores_nothing(served: tuple[Hub, str], peers: Peers) -> None:
    hub, url = served
    zaak = peers.openzaak.create_zaak("ZAAK-AUTH")
    assert peers.nrc.flush(10)
    before = operations.status(hub)["inbox"]["received"]
    message = {**peers.openzaak.published[-1], "aanmaakdatum": "2027-03-01T13:00:00Z"}
    for auth in ("Bearer wrong", "", NRC_AUTH + "x"):
        response = httpx.post(f"{url}/api/v1/notificaties", json=message, headers={"Authorization": auth})
        assert response.status_code == 401
    assert operations.status(hub)["inbox"]["received"] == before
    assert zaak["url"]


# -- direct: one delivery at a time ----------------------------------------------------------------

def test_ssrf_attempt_is_refused_without_any_outbound_request(hub: Hub) -> None:
    message = {"kanaal": "zaken", "hoofdObject": "http://169.254.169.254/latest/meta-data/", "resource": "status",
               "resourceUrl": "http://169.254.169.254/latest/meta-data/iam", "actie": "create",
               "aanmaakdatum": "2027-03-01T12:00:00Z", "kenmerken": {}}
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as router:
        anything = router.route().pass_through()
        outcome = deliver(hub, message)
        assert anything.call_count == 0 and len(router.calls) == 0
    assert (outcome.status, outcome.detail) == ("dead", REFUSED)
    assert len(audits(hub, "refuse-url")) == 1


def test_zaak_url_on_another_host_is_refused(hub: Hub, peers: Peers) -> None:
    zaak = peers.openzaak.create_zaak("ZAAK-X")
    evil = zaak["url"].replace("127.0.0.1", "localhost")
    message = {**peers.openzaak.published[-1], "hoofdObject": evil}
    assert deliver(hub, message).detail == REFUSED
    assert peers.openzaak.calls.find("GET", "/zaken/api/v1/zaken/*") == []


def test_forbidden_zaak_is_dead_lettered_with_the_403(hub: Hub, peers: Peers) -> None:
    peers.openzaak.create_zaak("ZAAK-GEHEIM", zaaktype="vertrouwelijk")
    peers.openzaak.close_zaak("ZAAK-GEHEIM")
    outcome = deliver(hub, peers.openzaak.published[-1])
    assert outcome.status == "dead" and outcome.detail is not None
    assert outcome.detail.startswith("zgw get_zaak failed: 403")


def test_deleted_zaak_is_dead_lettered_with_the_404(hub: Hub, peers: Peers) -> None:
    peers.openzaak.create_zaak("ZAAK-WEG")
    peers.openzaak.close_zaak("ZAAK-WEG")
    closed = peers.openzaak.published[-1]
    peers.openzaak.delete_zaak("ZAAK-WEG")
    outcome = deliver(hub, closed)
    assert outcome.status == "dead" and (outcome.detail or "").startswith("zgw get_zaak failed: 404")


def test_transient_zaken_failure_is_retried_then_succeeds(hub: Hub, peers: Peers) -> None:
    peers.openzaak.create_zaak("ZAAK-T")
    appointment = peers.book("ZAAK-T")
    peers.openzaak.close_zaak("ZAAK-T")
    peers.openzaak.set_faults(fail_next=[503, 429])
    [delivery_id] = accept(hub, peers.openzaak.published[-1])
    outcomes = process(hub, delivery_id)
    assert [o.status for o in outcomes] == ["failed", "failed", "succeeded"]
    assert peers.register.get(appointment.id).status == AppointmentStatus.CLOSED


def test_permanent_register_failure_is_dead_lettered_with_its_reason(hub: Hub, peers: Peers) -> None:
    peers.openzaak.create_zaak("ZAAK-P")
    peers.book("ZAAK-P")
    peers.openzaak.close_zaak("ZAAK-P")
    hub.peers.register.list_products()  # the token is cached: the next register call is the lookup
    peers.register.set_faults(fail_next=[400])
    outcome = deliver(hub, peers.openzaak.published[-1])
    assert outcome.status == "dead" and (outcome.detail or "").startswith("register list_appointments failed: 400")


def test_close_notification_after_a_reopen_changes_nothing(hub: Hub, peers: Peers) -> None:
    peers.openzaak.create_zaak("ZAAK-R")
    appointment = peers.book("ZAAK-R")
    peers.openzaak.close_zaak("ZAAK-R")
    closed = peers.openzaak.published[-1]
    peers.openzaak.reopen_zaak("ZAAK-R")
    reopened = peers.openzaak.published[-1]
    assert deliver(hub, reopened).detail == "zaak open: nothing to do"
    assert deliver(hub, closed).detail == "zaak open: nothing to do"   # out of order: the zaak is open now
    assert peers.register.get(appointment.id).status == AppointmentStatus.BOOKED and peers.close_calls() == []


def test_reopened_zaak_gives_only_an_audit_line(hub: Hub, peers: Peers) -> None:
    zaak = peers.openzaak.create_zaak("ZAAK-O")
    appointment = peers.book("ZAAK-O")
    peers.openzaak.close_zaak("ZAAK-O")
    assert (deliver(hub, peers.openzaak.published[-1]).detail or "").startswith("zaak closed (einddatum): 1 of 1")
    peers.openzaak.reopen_zaak("ZAAK-O")
    assert deliver(hub, peers.openzaak.published[-1]).detail == "zaak reopened: nothing changed"
    assert peers.register.get(appointment.id).status == AppointmentStatus.CLOSED
    assert [a.references["zaak"] for a in audits(hub, "zaak-reopened")] == [zaak["url"]]
    assert hub.links.get(zaak_key(zaak["url"]), "zgw") is not None
    assert hub.links.get(appointment.id, "zgw") is not None


def test_final_status_without_einddatum_counts_as_closed(hub: Hub, peers: Peers) -> None:
    zaak = peers.openzaak.create_zaak("ZAAK-S")
    appointment = peers.book("ZAAK-S")
    peers.openzaak.close_zaak("ZAAK-S")
    peers.openzaak.find("ZAAK-S")["einddatum"] = None   # an API that sets einddatum later
    outcome = deliver(hub, peers.openzaak.published[-1])
    assert (outcome.detail or "").startswith("zaak closed (eindstatus)")
    assert peers.register.get(appointment.id).status == AppointmentStatus.CLOSED
    assert peers.openzaak.calls.find("GET", "/catalogi/api/v1/statustypen/*") and zaak


def test_match_by_zaak_url(settings: Settings, peers: Peers) -> None:
    h = Hub(hub_settings(settings, peers, case_reference_match="url"), registry=only_this_flow())
    try:
        zaak = peers.openzaak.create_zaak("ZAAK-U")
        by_url = peers.book(zaak["url"])
        by_ident = peers.book("ZAAK-U")
        peers.openzaak.close_zaak("ZAAK-U")
        assert deliver(h, peers.openzaak.published[-1]).status == "succeeded"
        assert peers.register.get(by_url.id).status == AppointmentStatus.CLOSED
        assert peers.register.get(by_ident.id).status == AppointmentStatus.BOOKED
    finally:
        h.close()
