"""Contact moments and their Salesforce shape: kinds, field map, value tables, SOQL for the customer.

Pure: no I/O besides reading the mapping table (`load_mapping`). The object and field names come from
`mappings/salesforce.yaml`, so a different org needs a different file, not different code.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hub.model import Appointment, AppointmentStatus, Customer
from mappings.identity import Trust, TrustedKeys

DEFAULT_MAPPING = Path(__file__).with_name("salesforce.yaml")
ELLIPSIS = "…"


# -- contact moments (the same for every sink) --------------------------------------------------


class ContactMomentKind(StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    VISIT = "visit"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


_VISITED = frozenset({AppointmentStatus.CHECKED_IN, AppointmentStatus.CALLED, AppointmentStatus.STARTED,
                      AppointmentStatus.COMPLETED})


class ContactMoment(BaseModel):
    """One contact moment of one appointment; `key` (`<appointmentId>:<kind>`) is its stable external id."""

    model_config = ConfigDict(frozen=True)

    appointment_id: str
    kind: ContactMomentKind
    version: int
    status: AppointmentStatus
    channel: str | None
    start: datetime
    location_id: str
    location_name: str | None
    department: str | None
    products: tuple[str, ...]
    anonymous: bool

    @property
    def key(self) -> str:
        return f"{self.appointment_id}:{self.kind.value}"


def kinds_for(appointment: Appointment, event_kind: str | None, *, migrated_booked: bool = False) -> list[
        ContactMomentKind]:
    """The contact moments a snapshot implies, so a later snapshot also makes those of skipped events.

    Every appointment was booked (unless migrated and not configured); a visit is implied by checked-in and
    every later status; a reschedule only by its own event (a reassign also sends `rescheduled`).
    """
    status = appointment.status
    kinds: list[ContactMomentKind] = []
    if not appointment.migrated or migrated_booked:
        kinds.append(ContactMomentKind.BOOKED)
    if event_kind == "rescheduled" or status == AppointmentStatus.RESCHEDULED:
        kinds.append(ContactMomentKind.RESCHEDULED)
    if status == AppointmentStatus.CANCELLED:
        kinds.append(ContactMomentKind.CANCELLED)
    if status in _VISITED:
        kinds.append(ContactMomentKind.VISIT)
    if status == AppointmentStatus.COMPLETED:
        kinds.append(ContactMomentKind.COMPLETED)
    if status == AppointmentStatus.NO_SHOW:
        kinds.append(ContactMomentKind.NO_SHOW)
    return kinds


def moments_for(appointment: Appointment, event_kind: str | None, *,
                migrated_booked: bool = False) -> list[ContactMoment]:
    """The contact moments of one snapshot, each carrying that snapshot's content."""
    return [ContactMoment(
        appointment_id=appointment.id, kind=kind, version=appointment.version, status=appointment.status,
        channel=appointment.channel, start=appointment.start, location_id=appointment.location.id,
        location_name=appointment.location.name, department=appointment.department,
        products=tuple(p.name or p.code for p in appointment.products), anonymous=appointment.is_anonymous,
    ) for kind in kinds_for(appointment, event_kind, migrated_booked=migrated_booked)]


# -- the mapping table ---------------------------------------------------------------------------


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountFields(_Table):
    object: str = "Account"
    bsn_field: str = "BSN__c"
    kvk_field: str = "KvK_Nummer__c"
    first_name_field: str = "FirstName"
    last_name_field: str = "LastName"
    name_field: str = "Name"
    email_field: str = "PersonEmail"
    birth_date_field: str = "PersonBirthdate"
    phone_field: str = "PersonMobilePhone"
    verified_field: str = "Klant_Geverifieerd__c"
    person_record_type_id: str | None = None
    business_record_type_id: str | None = None


class ContactMomentFields(_Table):
    object: str = "Contactmoment__c"
    external_id_field: str = "Extern_Id__c"
    account_field: str = "Klant__c"
    channel_field: str = "Kanaal__c"
    kind_field: str = "Soort__c"
    subject_field: str = "Onderwerp__c"
    start_field: str = "Starttijd__c"
    location_field: str = "Locatie__c"
    department_field: str = "Afdeling__c"
    appointment_id_field: str = "Afspraak_Id__c"
    status_field: str = "Status__c"
    #: Checkbox set on a contact moment the hub could not link to a customer (review mode `field`).
    review_field: str = "Klantcontrole_Nodig__c"


class Lengths(_Table):
    subject: int = 255
    location: int = 255
    department: int = 100
    channel: int = 40
    kind: int = 40
    status: int = 40
    appointment_id: int = 200


MatchField = Literal["first_name", "last_name", "birth_date", "email", "phone"]
NamedRule = Literal["name_birth_date_email", "email_birth_date", "phone_birth_date"]
#: A named rule, or the list of customer fields that must all be equal on exactly one account.
MatchRule = NamedRule | list[MatchField]
NAMED_RULES: dict[str, tuple[MatchField, ...]] = {
    "name_birth_date_email": ("last_name", "birth_date", "email"),
    "email_birth_date": ("email", "birth_date"),
    "phone_birth_date": ("phone", "birth_date"),
}


class ReviewPolicy(_Table):
    """How a contact moment the hub could not link safely reaches the KCC's review queue."""

    #: `task`: one Task per appointment on its first unlinked contact moment; `field`: the contact moment's
    #: review checkbox (`contact_moment.review_field`); `none`: no flag (not advised).
    mode: Literal["task", "field", "none"] = "task"
    task_subject: str = "Klantcontrole: contactmoment zonder klant"
    task_description: str = ("De klant van deze afspraak kon niet veilig worden bepaald (BSN niet geverifieerd). "
                             "Koppel het contactmoment aan de juiste klant of laat het ongekoppeld.")
    task_status: str = "Not Started"
    task_priority: str = "Normal"
    #: A queue or user id for the Task's OwnerId (None: the integration user owns it).
    task_owner_id: str | None = None


class CustomerPolicy(_Table):
    #: Rules tried in order when no BSN/KvK decides (a self-declared one never does); each matches only
    #: when exactly one account fits all its fields.
    match: list[MatchRule] = ["name_birth_date_email"]
    #: No account for a verified BSN/KvK: `create` an account (marked verified) or `anonymous` (no account).
    #: `create_unverified` is the old name of `create`. A self-declared customer never gets an account.
    on_no_match: Literal["create", "create_unverified", "anonymous"] = "create"
    review: ReviewPolicy = Field(default_factory=ReviewPolicy)


class MigratedPolicy(_Table):
    booked: bool = False


class SalesforceMapping(_Table):
    """`mappings/salesforce.yaml` as a typed object."""

    account: AccountFields = Field(default_factory=AccountFields)
    contact_moment: ContactMomentFields = Field(default_factory=ContactMomentFields)
    lengths: Lengths = Field(default_factory=Lengths)
    channels: dict[str, str] = Field(default_factory=lambda: {"default": "Overig"})
    kinds: dict[ContactMomentKind, str] = Field(default_factory=lambda: {k: k.value for k in ContactMomentKind})
    statuses: dict[str, str] = Field(default_factory=dict)
    customer: CustomerPolicy = Field(default_factory=CustomerPolicy)
    migrated: MigratedPolicy = Field(default_factory=MigratedPolicy)


def load_mapping(path: str | Path | None = None) -> SalesforceMapping:
    """Read a mapping table (default: the packaged `salesforce.yaml`)."""
    raw = yaml.safe_load(Path(path or DEFAULT_MAPPING).read_text(encoding="utf-8")) or {}
    return SalesforceMapping.model_validate(raw)


# -- values --------------------------------------------------------------------------------------


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _joins_previous(char: str) -> bool:
    """Combining marks, variation selectors and joiners belong to the character before them."""
    return bool(unicodedata.combining(char)) or char in "\u200d\ufe0e\ufe0f" or \
        unicodedata.category(char) in ("Mn", "Me") or 0x1F3FB <= ord(char) <= 0x1F3FF


def truncate(text: str | None, limit: int) -> str | None:
    """Cut to `limit` Salesforce characters (UTF-16 units), ending in "…", never inside a character.

    A base character is kept only with all its combining marks, and emoji sequences joined with ZWJ
    are kept or dropped as a whole.
    """
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    if sum(_utf16_units(c) for c in text) <= limit:
        return text
    budget = limit - 1
    clusters: list[str] = []
    for char in text:
        if clusters and (_joins_previous(char) or clusters[-1].endswith("\u200d")):
            clusters[-1] += char
        else:
            clusters.append(char)
    out, used = [], 0
    for cluster in clusters:
        size = sum(_utf16_units(c) for c in cluster)
        if used + size > budget:
            break
        out.append(cluster)
        used += size
    return "".join(out).rstrip() + ELLIPSIS


def channel_value(mapping: SalesforceMapping, channel: str | None) -> str:
    table = {k.lower(): v for k, v in mapping.channels.items()}
    return table.get((channel or "").lower()) or table.get("default", "Overig")


def subject(mapping: SalesforceMapping, moment: ContactMoment) -> str:
    label = mapping.kinds.get(moment.kind, moment.kind.value)
    return f"{label}: {', '.join(moment.products)}" if moment.products else label


def salesforce_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as Salesforce writes datetimes."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def moment_fields(mapping: SalesforceMapping, moment: ContactMoment) -> dict[str, Any]:
    """The contact moment's fields (without the external id and the account lookup)."""
    f, n = mapping.contact_moment, mapping.lengths
    location = moment.location_name or moment.location_id
    return {
        f.channel_field: truncate(channel_value(mapping, moment.channel), n.channel),
        f.kind_field: truncate(mapping.kinds.get(moment.kind, moment.kind.value), n.kind),
        f.subject_field: truncate(subject(mapping, moment), n.subject),
        f.start_field: salesforce_datetime(moment.start),
        f.location_field: truncate(location, n.location),
        f.department_field: truncate(moment.department, n.department),
        f.appointment_id_field: truncate(moment.appointment_id, n.appointment_id),
        f.status_field: truncate(mapping.statuses.get(moment.status.value, moment.status.value), n.status),
    }


# -- customers -----------------------------------------------------------------------------------


def soql_literal(value: str | date | bool | None) -> str:
    """A SOQL literal: quoted and escaped strings, bare dates and booleans."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{escaped}'"


def soql_select(sobject: str, where: dict[str, str | date | bool | None], limit: int) -> str:
    """`SELECT Id FROM sobject WHERE a = x AND … LIMIT n`."""
    conditions = " AND ".join(f"{field} = {soql_literal(value)}" for field, value in where.items())
    return f"SELECT Id FROM {sobject} WHERE {conditions} LIMIT {limit}"


class CustomerQuery(BaseModel):
    """One way to find the customer's account; a `key` query (BSN/KvK) may pick the first match."""

    model_config = ConfigDict(frozen=True)

    rule: str
    soql: str
    key: bool


def _rule_fields(rule: MatchRule) -> tuple[MatchField, ...]:
    return NAMED_RULES[rule] if isinstance(rule, str) else tuple(rule)


def _rule_name(rule: MatchRule) -> str:
    return rule if isinstance(rule, str) else "+".join(rule)


def full_last_name(customer: Customer) -> str | None:
    """Prefix and last name as the hub writes an account's last name ("van Dijk")."""
    return " ".join(p for p in (customer.last_name_prefix, customer.last_name) if p) or None


def _match_value(customer: Customer, name: MatchField) -> str | date | None:
    values: dict[str, str | date | None] = {
        "first_name": customer.first_name, "last_name": full_last_name(customer), "birth_date": customer.birth_date,
        "email": str(customer.email) if customer.email else None, "phone": customer.phone}
    return values[name]


def customer_queries(mapping: SalesforceMapping, customer: Customer, keys: TrustedKeys) -> list[CustomerQuery]:
    """A verified BSN or KvK first, then the policy's rules that the customer's data allows, in order.

    An unverified BSN or KvK is never queried: a typo that passes the 11-proef may be another person's.
    """
    a = mapping.account
    queries: list[CustomerQuery] = []
    if keys.bsn:
        queries.append(CustomerQuery(rule="bsn", soql=soql_select(a.object, {a.bsn_field: keys.bsn}, 1), key=True))
    elif keys.kvk:
        queries.append(CustomerQuery(rule="kvk", soql=soql_select(a.object, {a.kvk_field: keys.kvk}, 1), key=True))
    columns: dict[MatchField, str] = {"first_name": a.first_name_field, "last_name": a.last_name_field,
                                      "birth_date": a.birth_date_field, "email": a.email_field,
                                      "phone": a.phone_field}
    for rule in mapping.customer.match:
        fields = _rule_fields(rule)
        values = {name: _match_value(customer, name) for name in fields}
        if not fields or any(v is None for v in values.values()):
            continue
        where: dict[str, str | date | bool | None] = {columns[name]: values[name] for name in fields}
        queries.append(CustomerQuery(rule=_rule_name(rule), soql=soql_select(a.object, where, 2), key=False))
    return queries


def new_account_fields(mapping: SalesforceMapping, customer: Customer, keys: TrustedKeys) -> dict[str, Any] | None:
    """A new account for a verified BSN/KvK (marked verified); None when nothing is verified.

    A person account for a BSN, a business account for a KvK number without one. Never carries an
    unverified BSN or KvK number.
    """
    if keys.trust == Trust.SELF_DECLARED or not keys.any:
        return None
    a = mapping.account
    business = bool(keys.kvk and not keys.bsn)
    fields: dict[str, Any] = {a.verified_field: True}
    if business:
        fields[a.name_field] = customer.display_name or f"KvK {keys.kvk}"
        fields[a.kvk_field] = keys.kvk
        record_type = a.business_record_type_id
    else:
        fields[a.first_name_field] = customer.first_name or customer.initials
        fields[a.last_name_field] = full_last_name(customer) or "Onbekend"
        fields[a.bsn_field] = keys.bsn
        fields[a.kvk_field] = keys.kvk
        fields[a.email_field] = str(customer.email) if customer.email else None
        fields[a.birth_date_field] = customer.birth_date.isoformat() if customer.birth_date else None
        fields[a.phone_field] = customer.phone
        record_type = a.person_record_type_id
    if record_type:
        fields["RecordTypeId"] = record_type
    return {k: v for k, v in fields.items() if v is not None}


def identity_fingerprint(customer: Customer | None) -> str | None:
    """A hash of what identifies the customer (no personal data in the link table); None if anonymous."""
    if customer is None or customer.anonymous:
        return None
    identity = [customer.bsn, customer.kvk, str(customer.email or ""), str(customer.birth_date or ""),
                customer.phone, customer.first_name, customer.last_name_prefix, customer.last_name,
                customer.identified_by.value]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


# -- what the org must have ----------------------------------------------------------------------


class FieldRequirement(BaseModel):
    """A mapped field and what the hub needs of it (for the live preflight)."""

    model_config = ConfigDict(frozen=True)

    sobject: str
    field: str
    create: bool = True
    update: bool = True
    external_id: bool = False
    query: bool = False


def required_fields(mapping: SalesforceMapping) -> list[FieldRequirement]:
    """Every field the flow writes or filters on, per object."""
    a, c = mapping.account, mapping.contact_moment
    out = [FieldRequirement(sobject=c.object, field=c.external_id_field, external_id=True)]
    out += [FieldRequirement(sobject=c.object, field=name) for name in (
        c.account_field, c.channel_field, c.kind_field, c.subject_field, c.start_field, c.location_field,
        c.department_field, c.appointment_id_field, c.status_field)]
    review = mapping.customer.review
    if review.mode == "field":
        out.append(FieldRequirement(sobject=c.object, field=c.review_field))
    elif review.mode == "task":
        out += [FieldRequirement(sobject="Task", field=name, update=False) for name in (
            "Subject", "WhatId", "Status", "Priority", "Description")]
    # A verified customer's account is upserted by BSN (KvK for a business): both are External IDs, and the
    # fields the upsert writes must be updateable as well as createable.
    upsert = mapping.customer.on_no_match != "anonymous"
    out += [FieldRequirement(sobject=a.object, field=name, update=upsert, query=True, external_id=upsert)
            for name in (a.bsn_field, a.kvk_field)]
    out += [FieldRequirement(sobject=a.object, field=name, update=upsert, query=True) for name in (
        a.email_field, a.birth_date_field, a.phone_field)]
    out += [FieldRequirement(sobject=a.object, field=name, update=upsert, query=True) for name in (
        a.first_name_field, a.last_name_field)]
    out.append(FieldRequirement(sobject=a.object, field=a.verified_field, update=upsert))
    return out
