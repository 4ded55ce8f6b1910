"""KCM survey invitations, pure: candidates from completed visits, the selection rules, the CSV file.

The rules and the column layout are data in `mappings/kcm.yaml` (operations may edit it). Nothing here
does I/O beyond reading that file; the flow (flows/surveys) stores candidates and delivers the file.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hub.bsn import passes_elfproef
from hub.model import Appointment, AppointmentStatus

DEFAULT_RULES_PATH = Path(__file__).with_name("kcm.yaml")

CsvSource = Literal["record_id", "respondent_key", "email", "salutation_name", "visit_date", "location",
                    "department", "product", "channel", "language"]


# --- configuration (mappings/kcm.yaml) ---------------------------------------------------------------
class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SurveyRules(_Config):
    require_email: bool = True
    opt_out_fields: list[str] = Field(default_factory=lambda: ["surveyOptOut"])
    consent_fields: list[str] = Field(default_factory=lambda: ["surveyConsent"])
    not_invited_within_days: int = Field(default=90, ge=0)
    min_age: int | None = Field(default=16, ge=0)
    excluded_departments: list[str] = Field(default_factory=list)
    excluded_locations: list[str] = Field(default_factory=list)
    excluded_products: list[str] = Field(default_factory=list)


class CsvColumn(_Config):
    header: str = Field(min_length=1)
    source: CsvSource


class CsvLayout(_Config):
    file_name: str = "kcm_uitnodigingen_{date:%Y%m%d}.csv"
    delimiter: str = Field(default=";", min_length=1, max_length=1)
    encoding: str = "utf-8"
    line_terminator: str = "\r\n"
    header: bool = True
    columns: list[CsvColumn] = Field(min_length=1)


class KcmMapping(_Config):
    """Everything in kcm.yaml."""

    timezone: str = "Europe/Amsterdam"
    rules: SurveyRules = Field(default_factory=SurveyRules)
    csv: CsvLayout
    channels: dict[str, str] = Field(default_factory=dict)
    default_channel: str = "OVERIG"
    languages: dict[str, str] = Field(default_factory=dict)
    default_language: str = "NL"

    def file_name(self, visit_date: date) -> str:
        """The deterministic file name of one visit date's batch."""
        return self.csv.file_name.format(date=visit_date)


def parse_mapping(text: str) -> KcmMapping:
    return KcmMapping.model_validate(yaml.safe_load(text))


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> KcmMapping:
    return parse_mapping(Path(path).read_text(encoding="utf-8"))


def load_mapping(path: str | Path | None = None) -> KcmMapping:
    """The rules and layout from `path` (default: mappings/kcm.yaml); re-read when the file changes."""
    p = Path(path) if path else DEFAULT_RULES_PATH
    return _load(str(p), p.stat().st_mtime)


# --- pseudonymous keys ------------------------------------------------------------------------------
def _hmac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def respondent_key(secret: str, *, bsn: str | None, email: str | None) -> str | None:
    """HMAC-SHA256 of the BSN, else of the lower-cased e-mail address; never the BSN itself."""
    if not secret:
        raise ValueError("the respondent key secret is empty")
    if bsn:
        return _hmac(secret, f"bsn:{bsn}")
    if email:
        return _hmac(secret, f"email:{email.strip().lower()}")
    return None


def record_id(secret: str, appointment_id: str) -> str:
    """KCM's stable record id for one visit (keyed hash of the appointment id)."""
    return "V" + _hmac(secret, f"visit:{appointment_id}")[:31]


_BSN_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])")


def contains_bsn(text: str) -> bool:
    """True if `text` holds a standalone nine-digit number that passes the 11-proef."""
    return any(passes_elfproef(m.group()) for m in _BSN_LIKE.finditer(text))


# --- candidates ---------------------------------------------------------------------------------------
class Candidate(BaseModel):
    """The minimal data about one completed visit that the survey needs (stored until purged)."""

    model_config = ConfigDict(frozen=True)

    appointment_id: str
    version: int
    record_id: str
    visit_start: datetime
    visit_date: date
    respondent_key: str | None
    email: str | None
    salutation_name: str
    location_id: str
    location_name: str | None
    department: str | None
    product_codes: tuple[str, ...]
    product_names: tuple[str, ...]
    channel: str | None
    language: str | None
    age_at_visit: int | None
    opted_out: bool


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _opted_out(extra: Mapping[str, object], rules: SurveyRules) -> bool:
    if any(extra.get(f) is True or str(extra.get(f)).lower() == "true" for f in rules.opt_out_fields):
        return True
    return any(f in extra and (extra[f] is False or str(extra[f]).lower() == "false") for f in rules.consent_fields)


def candidate_from_appointment(appointment: Appointment, mapping: KcmMapping, secret: str) -> Candidate | None:
    """A completed visit with a known customer becomes a candidate; anything else gives None."""
    if appointment.status != AppointmentStatus.COMPLETED:
        return None
    customer = appointment.customer
    if customer is None or customer.anonymous:
        return None
    email = str(customer.email).strip() if customer.email else None
    start = appointment.start.astimezone(ZoneInfo(mapping.timezone))
    return Candidate(
        appointment_id=appointment.id, version=appointment.version, record_id=record_id(secret, appointment.id),
        visit_start=start, visit_date=start.date(),
        respondent_key=respondent_key(secret, bsn=customer.bsn, email=email),
        email=email, salutation_name=customer.display_name, location_id=appointment.location.id,
        location_name=appointment.location.name, department=appointment.department,
        product_codes=tuple(p.code for p in appointment.products),
        product_names=tuple(p.name or p.code for p in appointment.products),
        channel=appointment.channel, language=customer.language,
        age_at_visit=_age(customer.birth_date, start.date()) if customer.birth_date else None,
        opted_out=_opted_out(customer.model_extra or {}, mapping.rules),
    )


# --- selection ----------------------------------------------------------------------------------------
class Exclusion(StrEnum):
    """Why a candidate gets no invitation, in the order the rules are applied."""

    ALREADY_INVITED = "already_invited"
    NO_EMAIL = "no_email"
    OPTED_OUT = "opted_out"
    EXCLUDED_DEPARTMENT = "excluded_department"
    EXCLUDED_LOCATION = "excluded_location"
    EXCLUDED_PRODUCT = "excluded_product"
    UNDER_AGE = "under_age"
    BSN_IN_DATA = "bsn_in_data"
    DATE_ALREADY_DELIVERED = "date_already_delivered"
    RECENTLY_INVITED = "recently_invited"


@dataclass(frozen=True)
class History:
    """What the hub knows from earlier batches and the opt-out list."""

    invited_visits: frozenset[str] = frozenset()
    invited_in_this_batch: frozenset[str] = frozenset()  # visits the date's earlier delivery held
    last_invited: Mapping[str, date] = field(default_factory=dict)  # respondent key → last invitation date
    opt_out_emails: frozenset[str] = frozenset()
    opt_out_keys: frozenset[str] = frozenset()
    date_delivered: bool = False


@dataclass(frozen=True)
class Selection:
    included: list[Candidate]
    excluded: dict[Exclusion, list[str]]  # reason → appointment ids

    def counts(self) -> dict[str, int]:
        counts = {"candidates": len(self.included) + sum(len(v) for v in self.excluded.values()),
                  "included": len(self.included)}
        counts.update({f"excluded.{reason.value}": len(self.excluded.get(reason, [])) for reason in Exclusion})
        return counts


def _norm(text: str) -> str:
    return " ".join(text.replace("-", " ").casefold().split())


def rule_exclusion(c: Candidate, rules: SurveyRules, history: History) -> Exclusion | None:
    """The first content rule a candidate fails (e-mail, opt-out, department, location, product, age, BSN)."""
    if rules.require_email and not c.email:
        return Exclusion.NO_EMAIL
    if c.opted_out or (c.email and c.email.lower() in history.opt_out_emails) or (
            c.respondent_key and c.respondent_key in history.opt_out_keys):
        return Exclusion.OPTED_OUT
    if c.department and _norm(c.department) in {_norm(d) for d in rules.excluded_departments}:
        return Exclusion.EXCLUDED_DEPARTMENT
    if c.location_id in set(rules.excluded_locations):
        return Exclusion.EXCLUDED_LOCATION
    if set(c.product_codes) & set(rules.excluded_products):
        return Exclusion.EXCLUDED_PRODUCT
    if rules.min_age is not None and c.age_at_visit is not None and c.age_at_visit < rules.min_age:
        return Exclusion.UNDER_AGE
    if any(contains_bsn(v) for v in _cells(c).values()):
        return Exclusion.BSN_IN_DATA
    return None


def select(candidates: Iterable[Candidate], mapping: KcmMapping, history: History, *, batch_date: date,
           force: bool = False) -> Selection:
    """Apply the rules to one visit date's candidates, earliest visit first (deterministic).

    `force` re-delivers the date: visits its earlier file held are included again (if the content
    rules still allow), and new ones are added; without it a delivered date includes nothing.
    """
    rules = mapping.rules
    last = dict(history.last_invited)
    included: list[Candidate] = []
    excluded: dict[Exclusion, list[str]] = {}
    for c in sorted(candidates, key=lambda c: (c.visit_start, c.appointment_id)):
        redelivery = force and c.appointment_id in history.invited_in_this_batch
        reason: Exclusion | None = None
        if not redelivery and c.appointment_id in history.invited_visits:
            reason = Exclusion.ALREADY_INVITED
        reason = reason or rule_exclusion(c, rules, history)
        if reason is None and not redelivery:
            if history.date_delivered and not force:
                reason = Exclusion.DATE_ALREADY_DELIVERED
            elif c.respondent_key and c.respondent_key in last and \
                    (batch_date - last[c.respondent_key]).days < rules.not_invited_within_days:
                reason = Exclusion.RECENTLY_INVITED
        if reason is not None:
            excluded.setdefault(reason, []).append(c.appointment_id)
            continue
        included.append(c)
        if c.respondent_key:
            last[c.respondent_key] = max(batch_date, last.get(c.respondent_key, batch_date))
    return Selection(included, excluded)


# --- the file -----------------------------------------------------------------------------------------
def _cells(c: Candidate, mapping: KcmMapping | None = None) -> dict[str, str]:
    channel, language = c.channel or "", c.language or ""
    if mapping is not None:
        channel = mapping.channels.get(channel.lower(), mapping.default_channel)
        language = mapping.languages.get(language.lower(), mapping.default_language)
    return {
        "record_id": c.record_id, "respondent_key": c.respondent_key or "", "email": c.email or "",
        "salutation_name": c.salutation_name, "visit_date": c.visit_date.isoformat(),
        "location": c.location_name or c.location_id, "department": c.department or "",
        "product": ", ".join(c.product_names), "channel": channel, "language": language,
    }


def render_csv(candidates: Iterable[Candidate], mapping: KcmMapping) -> bytes:
    """The invitation file in the agreed layout. Refuses (ValueError) to write anything BSN-like."""
    layout = mapping.csv
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=layout.delimiter, lineterminator=layout.line_terminator,
                        quoting=csv.QUOTE_MINIMAL)
    if layout.header:
        writer.writerow([col.header for col in layout.columns])
    for c in candidates:
        cells = _cells(c, mapping)
        writer.writerow([cells[col.source] for col in layout.columns])
    text = buffer.getvalue()
    if contains_bsn(text):
        raise ValueError("the invitation file would contain a BSN-like number; nothing written")
    return text.encode(layout.encoding)


__all__ = [
    "DEFAULT_RULES_PATH",
    "Candidate",
    "CsvColumn",
    "CsvLayout",
    "Exclusion",
    "History",
    "KcmMapping",
    "Selection",
    "SurveyRules",
    "candidate_from_appointment",
    "contains_bsn",
    "load_mapping",
    "parse_mapping",
    "record_id",
    "render_csv",
    "respondent_key",
    "rule_exclusion",
    "select",
]
