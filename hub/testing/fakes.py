"""In-memory fakes of every peer port, for fast flow tests without HTTP (the sandbox simulators prove the wire).

Each fake keeps its state in plain attributes a test reads and seeds, records the calls it answered in `calls`,
and raises the ports' hub-level errors (`hub.ports.errors`). Use them as `Hub(peers={"outlook": FakeCalendar()})`
or by assignment (`hub.peers.outlook = FakeCalendar()`). mypy checks each against its port (bottom of the file).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from hub.errors import DeliveryError, PermanentError
from hub.model import CloudEvent
from hub.ports.brp import BrpPerson, PersonRegistry
from hub.ports.calendar import CalendarOp, CalendarPort, CreateEvent, DeleteEvent, Event, OpResult
from hub.ports.documents import DocumentRow, DocumentStatusPort
from hub.ports.errors import NotFoundError
from hub.ports.klantinteracties import (
    Body,
    KlantcontactRecord,
    KlantinteractiesPort,
    MaakKlantcontactResult,
    Reference,
)
from hub.ports.passes import PassList, PassSource
from hub.ports.publisher import EventPublisher
from hub.ports.register import AppointmentRegister
from hub.ports.roster import RosterExport, RosterPort
from hub.ports.salesforce import SalesforcePort, Subrequest, SubResult
from hub.ports.surveys import Receipt, RemoteFile, SurveyDrop, sha256_hex
from hub.ports.zaken import REFUSED, RefusedUrlError, Status, StatusType, Zaak, ZakenPort
from hub.testing.fake_register import InMemoryRegister


@dataclass
class FakeCalendar:
    """Outlook calendars: events per mailbox; `unreadable` mailboxes answer their error instead of a view."""

    events: dict[str, dict[str, Event]] = field(default_factory=dict)
    unreadable: dict[str, DeliveryError] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=itertools.count, repr=False)

    def _mailbox(self, mailbox: str) -> dict[str, Event]:
        return self.events.setdefault(mailbox, {})

    def _run(self, op: CalendarOp) -> OpResult:
        if isinstance(op, CreateEvent):
            event = Event(id=f"event-{next(self._ids)}", transaction_id=op.draft.transaction_id,
                          subject=op.draft.subject, start=op.draft.start, end=op.draft.end, show_as=op.draft.show_as,
                          categories=op.draft.categories)
            self._mailbox(op.mailbox)[event.id] = event
            return OpResult(op, event=event)
        held = self._mailbox(op.mailbox)
        if isinstance(op, DeleteEvent):
            return OpResult(op, gone=held.pop(op.event_id, None) is None)
        if op.event_id not in held:
            return OpResult(op, error=NotFoundError(f"outlook update_event failed: 404 {op.event_id}"))
        event = held[op.event_id].model_copy(update={"subject": op.draft.subject, "start": op.draft.start,
                                                     "end": op.draft.end, "categories": op.draft.categories})
        held[op.event_id] = event
        return OpResult(op, event=event)

    def execute(self, ops: Sequence[CalendarOp]) -> list[OpResult]:
        self.calls.extend(type(op).__name__ for op in ops)
        return [self._run(op) for op in ops]

    def calendar_views(self, mailboxes: Sequence[str], start: datetime,
                       end: datetime) -> dict[str, list[Event] | DeliveryError]:
        self.calls.append("calendar_views")
        return {m: self.unreadable[m] if m in self.unreadable else list(self._mailbox(m).values())
                for m in mailboxes}

    def get_event(self, mailbox: str, event_id: str) -> Event | None:
        self.calls.append("get_event")
        return self._mailbox(mailbox).get(event_id)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakeZaken:
    """The Zaken and Catalogi APIs under `base_url`: zaken, statussen and statustypen by URL."""

    base_url: str = "https://openzaak.example.nl/zaken/api/v1/"
    zaken: dict[str, Zaak] = field(default_factory=dict)
    statussen: dict[str, Status] = field(default_factory=dict)
    statustypen: dict[str, StatusType] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def is_zaken_url(self, url: str) -> bool:
        return url.startswith(self.base_url)

    def _ask(self, call: str, url: str, *, zaken_api: bool = True) -> None:
        self.calls.append(call)
        if zaken_api and not self.is_zaken_url(url):
            raise RefusedUrlError(REFUSED)
        if url not in {**self.zaken, **self.statussen, **self.statustypen}:
            raise NotFoundError(f"zgw {call} failed: 404 Not Found")

    def get_zaak(self, url: str) -> Zaak:
        self._ask("get_zaak", url)
        return self.zaken[url]

    def get_status(self, url: str) -> Status:
        self._ask("get_status", url)
        return self.statussen[url]

    def get_statustype(self, url: str) -> StatusType:
        self._ask("get_statustype", url, zaken_api=False)
        return self.statustypen[url]

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakeSalesforce:
    """Composite requests answered by their method, every subrequest kept in `sent`; `query_all` answers `records`.

    Query: `records`; create: a new id; upsert by external id (`PATCH sobjects/<object>/<field>/<value>`): 201 with
    a new id the first time, 200 with the same id after (API 46.0+); update by id: 204."""

    records: list[dict[str, object]] = field(default_factory=list)
    sent: list[Subrequest] = field(default_factory=list)
    round_trips: int = 0
    upserted: dict[str, str] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=itertools.count, repr=False)

    def _answer(self, sub: Subrequest) -> SubResult:
        if sub.method == "GET":
            return SubResult.model_validate({"referenceId": sub.reference_id, "httpStatusCode": 200, "body": {
                "totalSize": len(self.records), "done": True, "records": self.records}})
        if sub.method == "POST":
            return SubResult.model_validate({"referenceId": sub.reference_id, "httpStatusCode": 201,
                                             "body": {"id": self._new_id(), "success": True}})
        if sub.method == "PATCH" and sub.path.split("?")[0].count("/") == 3:  # sobjects/<object>/<field>/<value>
            created = sub.path not in self.upserted
            record_id = self.upserted.setdefault(sub.path, self._new_id()) if created else self.upserted[sub.path]
            return SubResult.model_validate({"referenceId": sub.reference_id, "httpStatusCode": 201 if created else 200,
                                             "body": {"id": record_id, "success": True, "created": created}})
        return SubResult.model_validate({"referenceId": sub.reference_id, "httpStatusCode": 204})

    def _new_id(self) -> str:
        return f"a0X{next(self._ids):015d}"

    def composite(self, subrequests: Sequence[Subrequest], *, all_or_none: bool) -> list[SubResult]:
        self.round_trips += 1
        self.sent.extend(subrequests)
        return [self._answer(s) for s in subrequests]

    def raise_for_results(self, call: str, results: Sequence[SubResult]) -> None:
        failed = [r for r in results if not r.ok]
        if failed:
            raise PermanentError(f"salesforce {call} failed: {failed[0].http_status_code}")

    def query_all(self, soql: str) -> list[dict[str, object]]:
        self.round_trips += 1
        return list(self.records)

    def close(self) -> None:
        """Nothing to release."""


def _object_id(body: Body) -> str:
    onderwerpobject = body.get("onderwerpobject")
    ident = onderwerpobject.get("onderwerpobjectidentificator") if isinstance(onderwerpobject, dict) else None
    object_id = ident.get("objectId") if isinstance(ident, dict) else None
    return str(object_id)


def _record(uuid: str, contact: object) -> KlantcontactRecord:
    """The klantcontact as the API lists it: every field written, and its uuid."""
    fields = contact if isinstance(contact, dict) else {}
    return KlantcontactRecord.model_validate({**fields, "uuid": uuid})


@dataclass
class FakeKlantinteracties:
    """Klantcontacten per onderwerpobject id (the appointment), partijen by identificator value."""

    klantcontacten: dict[str, list[KlantcontactRecord]] = field(default_factory=dict)
    partijen: dict[str, str] = field(default_factory=dict)
    betrokkenen: dict[str, Body] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=itertools.count, repr=False)

    def _uuid(self) -> str:
        return f"00000000-0000-4000-8000-{next(self._ids):012d}"

    def maak_klantcontact(self, body: Body) -> MaakKlantcontactResult:
        self.calls.append("maak_klantcontact")
        record = _record(self._uuid(), body.get("klantcontact"))
        self.klantcontacten.setdefault(_object_id(body), []).append(record)
        betrokkene = self._uuid()
        self.betrokkenen[betrokkene] = {}
        return MaakKlantcontactResult(klantcontact=Reference(uuid=record.uuid), betrokkene=Reference(uuid=betrokkene))

    def _where(self, uuid: str) -> tuple[list[KlantcontactRecord], int]:
        for records in self.klantcontacten.values():
            for i, r in enumerate(records):
                if r.uuid == uuid:
                    return records, i
        raise NotFoundError(f"klantinteracties klantcontact failed: 404 {uuid}")

    def update_klantcontact(self, uuid: str, body: Body) -> None:
        self.calls.append("update_klantcontact")
        records, i = self._where(uuid)
        records[i] = _record(uuid, body)

    def delete_klantcontact(self, uuid: str) -> None:
        self.calls.append("delete_klantcontact")
        records, i = self._where(uuid)
        del records[i]

    def klantcontacten_for(self, object_id: str, code_objecttype: str, code_register: str) -> list[KlantcontactRecord]:
        self.calls.append("klantcontacten_for")
        return list(self.klantcontacten.get(object_id, []))

    def partij_for(self, code_objecttype: str, code_register: str, code_soort_object_id: str,
                   object_id: str) -> str | None:
        self.calls.append("partij_for")
        return self.partijen.get(object_id)

    def update_betrokkene(self, uuid: str, body: Body) -> None:
        self.calls.append("update_betrokkene")
        self.betrokkenen[uuid] = {**self.betrokkenen.get(uuid, {}), **body}

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakePersonRegistry:
    """The BRP: persons by BSN (fake BSNs only)."""

    persons: dict[str, BrpPerson] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def raadpleeg(self, bsn: str) -> BrpPerson | None:
        self.asked.append(bsn)
        return self.persons.get(bsn)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakeSurveyDrop:
    """The KCM drop folder: file name → content."""

    files: dict[str, bytes] = field(default_factory=dict)
    protocol: str = "memory"
    calls: list[str] = field(default_factory=list)

    def deliver(self, name: str, content: bytes) -> Receipt:
        self.calls.append("deliver")
        self.files[name] = content
        return Receipt(name=name, size=len(content), sha256=sha256_hex(content))

    def list_files(self) -> list[RemoteFile]:
        self.calls.append("list_files")
        return [RemoteFile(name=n, size=len(c), sha256=sha256_hex(c)) for n, c in sorted(self.files.items())]

    def checksum(self, name: str) -> str | None:
        self.calls.append("checksum")
        return sha256_hex(self.files[name]) if name in self.files else None

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakeDocuments:
    """The Key2Burgerzaken document-status view: its rows."""

    rows: list[DocumentRow] = field(default_factory=list)

    def changed_since(self, since: datetime | None) -> Iterator[DocumentRow]:
        return iter(sorted((r for r in self.rows if since is None or r.status_date >= since),
                           key=lambda r: (r.status_date, r.application_number)))

    def in_status_between(self, statuses: Sequence[str], not_before: datetime,
                          not_after: datetime) -> list[DocumentRow]:
        return [r for r in self.rows if r.status in statuses and not_before <= r.status_date <= not_after]

    def for_customer(self, bsn: str, document_types: Sequence[str]) -> list[DocumentRow]:
        return sorted((r for r in self.rows if r.bsn == bsn and r.document_type in document_types),
                      key=lambda r: r.status_date, reverse=True)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakeRoster:
    """RostarCAS: one export, answered for any window; the windows asked for in `windows`."""

    export: RosterExport
    windows: list[tuple[date, date]] = field(default_factory=list)

    def fetch_roster(self, from_: date, to: date) -> RosterExport:
        self.windows.append((from_, to))
        return self.export

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakePublisher:
    """TIP: the events published, in order."""

    source: str = "urn:example:afsprakenhub"
    published: list[CloudEvent] = field(default_factory=list)

    def publish(self, event: CloudEvent) -> None:
        self.published.append(event)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakePasses:
    """The pass list: whatever `passes` holds."""

    passes: PassList = field(default_factory=lambda: PassList(source="memory", passes=[]))
    name: str = "memory"

    def fetch(self) -> PassList:
        return self.passes


def _conforms() -> None:
    """Never called: mypy checks here that every fake implements its port."""
    register: AppointmentRegister = InMemoryRegister()
    calendar: CalendarPort = FakeCalendar()
    zaken: ZakenPort = FakeZaken()
    salesforce: SalesforcePort = FakeSalesforce()
    klantinteracties: KlantinteractiesPort = FakeKlantinteracties()
    brp: PersonRegistry = FakePersonRegistry()
    kcm: SurveyDrop = FakeSurveyDrop()
    documents: DocumentStatusPort = FakeDocuments()
    roster: RosterPort = FakeRoster(RosterExport(source="memory"))
    tip: EventPublisher = FakePublisher()
    passes: PassSource = FakePasses()
    del register, calendar, zaken, salesforce, klantinteracties, brp, kcm, documents, roster, tip, passes


__all__ = ["FakeCalendar", "FakeDocuments", "FakeKlantinteracties", "FakePasses", "FakePersonRegistry",
           "FakePublisher", "FakeRoster", "FakeSalesforce", "FakeSurveyDrop", "FakeZaken", "InMemoryRegister"]
