"""The demo's scripted day: a seeded, reproducible plan of appointments and what happens to each."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

AMS = ZoneInfo("Europe/Amsterdam")

#: Scenario → the register actions after `book`, with its weight in the day.
SCENARIOS: dict[str, tuple[tuple[str, ...], int]] = {
    "booked": ((), 26),
    "rescheduled": (("reschedule",), 10),
    "reassigned": (("reassign",), 6),
    "cancelled": (("cancel",), 10),
    "visited": (("check_in", "call", "start", "complete"), 32),
    "rescheduled-visited": (("reschedule", "check_in", "call", "start", "complete"), 6),
    "no-show": (("no_show",), 10),
}

# (location, department, products, employee or None, room or None, counter or None, channels, case share)
SERVICES: tuple[tuple[str, str, tuple[str, ...], str | None, str | None, str | None, tuple[str, ...], float], ...] = (
    ("LOC-KONINGSPLEIN", "Burgerzaken", ("PASPOORT-AANVRAAG",), None, None, "BALIE-1", ("online", "phone"), 0.0),
    ("LOC-KONINGSPLEIN", "Burgerzaken", ("ID-KAART-AANVRAAG",), None, None, "BALIE-2", ("online", "counter"), 0.0),
    ("LOC-KONINGSPLEIN", "Burgerzaken", ("PASPOORT-AANVRAAG", "ID-KAART-AANVRAAG"), None, None, "BALIE-3",
     ("online",), 0.0),
    ("LOC-KONINGSPLEIN", "Burgerzaken", ("RIJBEWIJS-AANVRAAG",), None, None, "BALIE-4", ("online", "phone"), 0.0),
    ("LOC-KONINGSPLEIN", "Burgerzaken", ("REISDOCUMENT-UITREIKING",), None, None, "BALIE-1", ("online",), 0.0),
    ("LOC-KONINGSPLEIN", "Burgerzaken", ("RIJBEWIJS-UITREIKING",), None, None, "BALIE-2", ("online",), 0.0),
    ("LOC-KONINGSPLEIN", "Burgerzaken", ("HUWELIJK-MELDING",), "EMP-002", "TROUWKAMER", None, ("phone", "online"),
     0.5),
    ("LOC-KONINGSPLEIN", "Burgerzaken", ("PASPOORT-AANVRAAG",), "EMP-001", "SPREEKKAMER-3", None, ("phone",), 0.3),
    ("LOC-WERK-INKOMEN", "Werk & Inkomen", ("UITKERING-INTAKE",), "EMP-003", "WI-SPREEKKAMER-1", None,
     ("phone", "online"), 0.6),
    ("LOC-ZVH", "Zorg en Veiligheid", ("UITKERING-INTAKE",), "EMP-004", "ZVH-OVERLEG-1", None, ("phone",), 0.4),
    ("LOC-MILIEUSTRAAT", "Afval en Grondstoffen", ("MILIEUSTRAAT-BEZOEK",), None, None, "MS-POORT-1", ("online",),
     0.0),
)

FIRST_NAMES = ("Jan", "Fatima", "Sanne", "Mohammed", "Lotte", "Daan", "Emma", "Bram", "Noor", "Sem", "Julia", "Finn")
LAST_NAMES = (("van", "Dijk"), (None, "Jansen"), ("de", "Vries"), (None, "Bakker"), ("van den", "Berg"),
              (None, "El Amrani"), (None, "Smit"), ("de", "Jong"), (None, "Visser"), ("van der", "Meer"))


def fake_bsn(rng: random.Random) -> str:
    """A random nine-digit number that passes the 11-proef, starting with 9 (never a real test range clash)."""
    while True:
        digits = [9] + [rng.randrange(10) for _ in range(7)]
        total = sum(w * d for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), digits, strict=True))
        last = total % 11
        if last <= 9:
            return "".join(map(str, [*digits, last]))


def fake_customer(rng: random.Random, index: int) -> dict[str, Any]:
    first = rng.choice(FIRST_NAMES)
    prefix, last = rng.choice(LAST_NAMES)
    business = rng.random() < 0.1
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    return {
        "bsn": None if business else fake_bsn(rng),
        "kvk": f"{rng.randrange(10**7, 10**8)}" if business else None,
        "initials": f"{first[0]}.", "firstName": first, "lastNamePrefix": prefix, "lastName": last,
        "birthDate": born.isoformat(), "email": None if rng.random() < 0.1 else f"klant{index:04d}@example.nl",
        "phone": f"06{rng.randrange(10**7, 10**8)}", "language": rng.choice(("nl", "nl", "nl", "en")),
        "anonymous": False,
    }


@dataclass
class PlannedAppointment:
    """One appointment of the day: how it is booked and what happens to it afterwards."""

    key: str
    scenario: str
    actions: tuple[str, ...]
    start: datetime
    location: str
    department: str
    products: tuple[str, ...]
    channel: str
    customer: dict[str, Any] | None
    employee: str | None
    room: str | None
    counter: str | None
    case_reference: str | None
    group_size: int
    reschedule_to: datetime | None = None
    reassign_to: dict[str, str] = field(default_factory=dict)
    appointment_id: str | None = None  # assigned by the register when booked
    #: For a self-declared customer: one of IDENTITY_CASES (None for everyone else).
    identity_case: str | None = None
    true_bsn: str | None = None  # the citizen's own BSN when the form holds another (or none)
    brp_first_names: str | None = None  # the BRP's first names when the customer typed another one
    typo_of: str | None = None  # the key of the appointment whose customer owns the typed BSN

    @property
    def anonymous(self) -> bool:
        return self.customer is None

    @property
    def identity_outcome(self) -> str | None:
        """For a self-declared customer: verified, linked, later (at the counter) or review."""
        case = self.identity_case
        if case is None:
            return None
        if case == "nickname":
            return "later" if "check_in_verified" in self.actions else "review"
        return {"brp": "verified", "known": "linked"}.get(case, "review")


#: What happens to a self-declared customer in the demo, and the outcome the contact moments must show:
#: brp — the BRP confirms the typed BSN (verified, linked by BSN); nickname — the first name differs from the
#: BRP's (not verified; linked later when the check-in includes an ID check at the counter, else review);
#: typo — the typed BSN is another citizen's (review; never on that citizen's account); known — no BSN, an
#: account with the same name, birth date and e-mail (linked); unknown — no BSN, no such account (review).
IDENTITY_CASES = ("brp", "nickname", "typo", "known", "unknown")
SELF_DECLARED_SHARE = 0.3


def assign_identities(plans: list[PlannedAppointment], rng: random.Random) -> None:
    """Set `customer.identification` for the day: eHerkenning for businesses, an ID check for counter
    bookings, DigiD for most others and self-declared for the rest, each with an identity case."""
    for p in plans:
        c = p.customer
        if c is None:
            continue
        if c.get("kvk"):
            c["identification"] = "eherkenning"
        elif p.channel == "counter":
            c["identification"] = "verified-at-counter"
        elif rng.random() >= SELF_DECLARED_SHARE:
            c["identification"] = "digid"
        else:
            c["identification"] = "self-declared"
            p.identity_case = rng.choice(IDENTITY_CASES)
            p.true_bsn = c.get("bsn")
    owners = [p for p in plans if p.customer and p.customer.get("identification") == "digid" and p.customer.get("bsn")]
    for p in plans:
        c = p.customer
        if c is None or p.identity_case is None:
            continue
        if p.identity_case == "typo" and owners:
            owner = rng.choice(owners)
            c["bsn"], p.typo_of = owner.customer["bsn"] if owner.customer else None, owner.key
        elif p.identity_case == "typo":
            p.identity_case = "unknown"
        if p.identity_case == "known" and not (c.get("email") and c.get("birthDate") and c.get("lastName")):
            p.identity_case = "unknown"
        if p.identity_case in ("known", "unknown"):
            c["bsn"] = None
        if p.identity_case == "nickname":
            p.brp_first_names = rng.choice([n for n in FIRST_NAMES if n != c.get("firstName")])
            p.actions = tuple("check_in_verified" if a == "check_in" else a for a in p.actions)


@dataclass
class DayPlan:
    day: date
    seed: int
    appointments: list[PlannedAppointment]

    def by_scenario(self, scenario: str) -> list[PlannedAppointment]:
        return [a for a in self.appointments if a.scenario == scenario]


def default_day(today: date | None = None) -> date:
    """A weekday a week or more ahead, so everything in the day lies in the future."""
    day = (today or date.today()) + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def plan_day(seed: int = 20270301, count: int = 200, day: date | None = None) -> DayPlan:
    """The same seed and count give the same day (times shift with `day`)."""
    rng = random.Random(seed)
    day = day or default_day()
    names, weights = zip(*((k, v[1]) for k, v in SCENARIOS.items()), strict=True)
    plans: list[PlannedAppointment] = []
    for i in range(count):
        location, department, products, employee, room, counter, channels, case_share = rng.choice(SERVICES)
        scenario = rng.choices(names, weights)[0]
        minutes = rng.randrange(0, 8 * 60 // 5) * 5
        start = datetime.combine(day, time(8, 30), AMS) + timedelta(minutes=minutes)
        anonymous = (location == "LOC-MILIEUSTRAAT" and rng.random() < 0.5) or rng.random() < 0.05
        plan = PlannedAppointment(
            key=f"D{i:04d}", scenario=scenario, actions=SCENARIOS[scenario][0], start=start, location=location,
            department=department, products=products, channel=rng.choice(channels),
            customer=None if anonymous else fake_customer(rng, i), employee=employee, room=room, counter=counter,
            case_reference=f"ZAAK-{day.year}-{i:06d}" if rng.random() < case_share else None,
            group_size=rng.choice((2, 3, 4)) if rng.random() < 0.06 else 1,
        )
        if "reschedule" in plan.actions:
            plan.reschedule_to = start + timedelta(days=rng.choice((1, 2, 7)), minutes=rng.choice((0, 30, 60)))
            if plan.scenario == "rescheduled-visited":
                plan.reschedule_to = start + timedelta(minutes=rng.choice((30, 60, 90)))
        if "reassign" in plan.actions:
            plan.reassign_to = ({"employee": "EMP-001" if employee != "EMP-001" else "EMP-002"} if employee
                                else {"counter": "BALIE-3" if counter != "BALIE-3" else "BALIE-4"})
        plans.append(plan)
    assign_identities(plans, random.Random(seed * 31 + 29))  # its own dice: the rest of the day stays as it was
    return DayPlan(day=day, seed=seed, appointments=plans)
