"""Nightly drift reconciliation: the register's coming N days against what the peers hold; `repair` queues fixes.

Reads through the connectors' read calls (register list, Graph calendar views, …); writes only the report (in the
`drift` job's state, for the console) and, with `repair`, deliveries (flows/drift/repair.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta

import structlog

from flows.calendars import FLOW as CALENDARS
from flows.calendars.placement import Placement, link_peer
from flows.drift import klantinteracties, outlook, salesforce
from flows.drift.repair import Queue, Removal
from flows.drift.report import DriftReport
from hub import ldv
from hub.bootstrap import Hub
from hub.errors import DeliveryError, TransientError
from hub.links import LinkState
from hub.model import Appointment
from hub.ports.calendar import Event
from hub.ports.capabilities import Capability
from hub.ports.register import NotFoundError as RegisterNotFound
from hub.scheduler import JobResult, register_job
from hub.store.tables import JobState
from mappings.outlook import KINDS, Kind
from mappings.salesforce import load_mapping

log = structlog.get_logger("afsprakenhub.flows.drift")

JOB = "drift"
#: The flow that writes contact moments (named, not imported: drift must not register it as a side effect).
CONTACT_MOMENTS = "contact_moments"
CHUNK = 500
Progress = Callable[[str], None]


def _links(hub: Hub, ids: Sequence[str], peers: Sequence[str]) -> dict[tuple[str, str], LinkState]:
    """The link rows of `ids` for `peers`, in chunks (one query per CHUNK appointments)."""
    return hub.links.for_appointments(ids, peers, CHUNK)


def _register_get(hub: Hub) -> Callable[[str], Appointment | None]:
    def get(appointment_id: str) -> Appointment | None:
        try:
            appointment: Appointment = hub.peers.register.get_appointment(appointment_id)
        except RegisterNotFound:
            return None
        return appointment

    return get


def _owner_of(hub: Hub) -> Callable[[str], tuple[str, Kind, Placement] | None]:
    peers = {link_peer(k): k for k in KINDS}

    def owner(event_id: str) -> tuple[str, Kind, Placement] | None:
        row = hub.links.by_remote_id(event_id, list(peers))
        if row is None:
            return None
        return row.appointment_id, peers[row.peer], Placement.model_validate(row.data or {})

    return owner


def outlook_plan(hub: Hub, appointments: list[Appointment], days: int) -> outlook.OutlookPlan:
    """Compare the calendars of every mailbox involved (one Graph `$batch` per 20 mailboxes)."""
    settings = hub.settings.outlook
    now = hub.now()
    mark = settings.cancel_mode == "mark"
    ids = [a.id for a in appointments]
    links = _links(hub, ids, [link_peer(k) for k in KINDS])
    placements = {(aid, k): Placement.of(links.get((aid, link_peer(k)))) for aid in ids for k in KINDS}
    mailboxes = {m for a in appointments for k in KINDS if (m := outlook.belongs(a, k, mark))}
    mailboxes |= {p.mailbox for p in placements.values() if p.placed and p.mailbox}
    register = hub.peers.register  # every room and employee calendar: a stray event may sit in any of them
    mailboxes |= {r.mailbox.strip().lower() for r in register.list_rooms() if r.mailbox and r.mailbox.strip()}
    mailboxes |= {e.upn.strip().lower() for e in register.list_employees() if e.upn and e.upn.strip()}
    client = hub.peers.outlook
    views = client.calendar_views(sorted(mailboxes), now - timedelta(days=1), now + timedelta(days=days + 1))
    events: dict[str, list[Event]] = {}
    unreadable: set[str] = set()
    for mailbox, view in views.items():
        if isinstance(view, TransientError):
            raise view  # Graph is away: the whole comparison waits for the next run
        if isinstance(view, DeliveryError):  # e.g. a mailbox the register names but Exchange does not know
            unreadable.add(mailbox)
            continue
        events[mailbox] = view
    if unreadable:
        log.warning("drift.calendars_unreadable", count=len(unreadable),
                    hint="the register names room or employee mailboxes Graph refuses (404/403); check their UPNs")
    plan = outlook.compare(appointments, placements, events, find_event=client.get_event,
                           owner_of=_owner_of(hub), register_get=_register_get(hub),
                           time_zone=settings.time_zone, now=now, mark_cancelled=mark,
                           unreadable=frozenset(unreadable))
    plan.unreadable = len(unreadable)
    return plan


def _edit_outlook_links(hub: Hub, plan: outlook.OutlookPlan) -> None:
    """Reset the calendar links so the calendars flow acts on the snapshot (local writes, no peer call)."""
    for appointment_id, edits in sorted(plan.resend.items()):
        for kind, how in edits.items():
            peer = link_peer(kind)
            current = Placement.of(hub.links.get(appointment_id, peer))
            if how == "forget":  # the flow creates a new event (a new transactionId: a fresh placement)
                changed = Placement(generation=current.generation + (1 if current.placed else 0), state="removed")
            elif how == "rehash":  # the flow sends its update
                changed = current.model_copy(update={"content_hash": None})
            else:
                continue
            hub.links.put(appointment_id, peer, remote_id=changed.event_id or "", hash_=changed.content_hash or "",
                          data=changed.model_dump())


def _forget_hashes(hub: Hub, sink: str, resend: dict[str, set[str]]) -> None:
    """Forget the content hash of each moment's link: the sink writes the moment again (upsert by key)."""
    for appointment_id, kinds in sorted(resend.items()):
        for kind in sorted(kinds):
            peer = f"{sink}:{kind}"
            link = hub.links.get(appointment_id, peer)
            if link is not None:
                hub.links.put(appointment_id, peer, remote_id=link.remote_id, version=link.last_version, hash_="",
                              data=link.data)


def salesforce_plan(hub: Hub, appointments: list[Appointment], days: int) -> salesforce.SalesforcePlan:
    """Read the contact moments of the window's appointments and of the window itself (paged queries)."""
    now = hub.now()
    mapping = load_mapping(hub.settings.salesforce.mapping_file)
    client = hub.peers.salesforce
    records: dict[str, dict[str, object]] = {}
    for soql in salesforce.record_queries(mapping, [a.id for a in appointments], now, now + timedelta(days=days)):
        for record in client.query_all(soql):
            records[str(record.get("Id"))] = record
    return salesforce.compare(appointments, records.values(), mapping=mapping, register_get=_register_get(hub),
                              time_zone=hub.settings.outlook.time_zone, now=now)


def klantinteracties_plan(hub: Hub, appointments: list[Appointment]) -> klantinteracties.KlantinteractiesPlan:
    """One klantcontacten list call per appointment (the API has no list by time)."""
    ki = hub.settings.klantinteracties
    client = hub.peers.klantinteracties
    mapping = load_mapping(hub.settings.salesforce.mapping_file)
    return klantinteracties.compare(
        appointments, lambda aid: client.klantcontacten_for(aid, ki.code_objecttype, ki.code_register),
        migrated_booked=mapping.migrated.booked, time_zone=hub.settings.outlook.time_zone, now=hub.now())


def store_report(hub: Hub, report: DriftReport) -> None:
    """Keep the report in the job's state: the console's drift page shows it."""
    with hub.db.unit_of_work() as s:
        state = s.get(JobState, JOB) or JobState(job=JOB)
        s.add(state)
        state.watermark = report.stored()


def reconcile(hub: Hub, days: int, *, repair: bool = False, store: bool = True,
              progress: Progress | None = None) -> DriftReport:
    """Compare the register's next `days` days with the peers; with `repair`, queue the fixes."""
    say = progress or (lambda _: None)
    now = hub.now()
    end = now + timedelta(days=days)
    say(f"reading the register: appointments from {now:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC")
    appointments = list(hub.peers.register.list_appointments(from_=now, to=end))
    for appointment in appointments:  # LDV: each customer's appointment is read and compared (a record each)
        ldv.processed(ldv.subject_of_customer(appointment.customer))
    by_id = {a.id: a for a in appointments}
    report = DriftReport(at=now, days=days, window_start=now, window_end=end, appointments=len(appointments),
                         peers=[])
    queue = Queue(hub, uuid.uuid4().hex[:12], hub.settings.drift.repairs_per_second)
    snapshots: dict[str, set[str]] = {}  # appointment id → flows to send its snapshot to
    extra: dict[str, Appointment] = {}
    removals: list[Removal] = []
    if CALENDARS in hub.registry.flows:
        say(f"comparing {len(appointments)} appointments with the Outlook calendars")
        plan = outlook_plan(hub, appointments, days)
        report.peers.append("outlook")
        report.findings.extend(plan.findings)
        if plan.unreadable:
            report.skipped_peers["outlook"] = (f"{plan.unreadable} calendar(s) could not be read (404/403) and "
                                               "were not compared")
        if repair:
            _edit_outlook_links(hub, plan)
            for aid in plan.resend:
                snapshots.setdefault(aid, set()).add(CALENDARS)
            extra.update(plan.extra)
            removals += [Removal(peer="outlook", container=m, record_id=e) for m, e in plan.deletes]
    else:
        report.skipped_peers["outlook"] = "not compared: the calendars flow is not loaded"
    moments = CONTACT_MOMENTS in hub.registry.flows
    if moments and hub.settings.salesforce.enabled:
        say(f"comparing {len(appointments)} appointments with the Salesforce contact moments")
        sf_plan = salesforce_plan(hub, appointments, days)
        report.peers.append("salesforce")
        report.findings.extend(sf_plan.findings)
        if repair:
            _forget_hashes(hub, "salesforce", sf_plan.resend)
            for aid in sf_plan.resend:
                snapshots.setdefault(aid, set()).add(CONTACT_MOMENTS)
            extra.update(sf_plan.extra)
    else:
        report.skipped_peers["salesforce"] = ("not compared: salesforce.enabled is false or contact_moments is "
                                              "not loaded")
    if moments and hub.settings.klantinteracties.enabled:
        say(f"comparing {len(appointments)} appointments with Klantinteracties (one call each)")
        ki_plan = klantinteracties_plan(hub, appointments)
        report.peers.append("klantinteracties")
        report.findings.extend(ki_plan.findings)
        if repair:
            _forget_hashes(hub, "klantinteracties", ki_plan.resend)
            for aid in ki_plan.resend:
                snapshots.setdefault(aid, set()).add(CONTACT_MOMENTS)
    else:
        report.skipped_peers["klantinteracties"] = "not compared: klantinteracties.enabled is false"
    for aid, flows in sorted(snapshots.items()):  # links first (above), then the sends: no fix overtakes its reset
        for flow in sorted(flows):
            queue.snapshot(by_id.get(aid) or extra[aid], flow)
    for removal in removals:
        queue.removal(removal)
    report.repaired = len(queue.queued)
    counts = report.counts()
    log.info("drift.done", days=days, appointments=len(appointments), repaired=report.repaired, **counts)
    if repair:
        hub.audit.record(actor="drift", action="drift-repair", purpose="repair drift between register and peers",
                         outcome="queued", references={"queued": report.repaired, **counts})
    if store:
        store_report(hub, report)
    return report


@register_job(JOB, schedule="30 2 * * *",
              description="compare the register's coming days with Outlook, Salesforce and Klantinteracties; "
                          "report drift (and repair it when drift.repair is on)",
              needs=frozenset({Capability.LIST_APPOINTMENTS, Capability.READ_APPOINTMENT, Capability.LIST_ROOMS,
                               Capability.LIST_EMPLOYEES}))
def run(hub: Hub, dry_run: bool, days: int | None = None) -> JobResult:
    """The nightly job: report (stored for the console), repair when `drift.repair` is on and not a dry run."""
    settings = hub.settings.drift
    report = reconcile(hub, days or settings.days, repair=settings.repair and not dry_run, store=not dry_run)
    counts = {**report.counts(), "appointments": report.appointments, "repairsQueued": report.repaired}
    return JobResult(outcome="ok" if not report.findings else "drift", counts=counts)


__all__ = ["JOB", "reconcile", "run", "store_report"]
