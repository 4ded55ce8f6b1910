"""A generated JCC data set of any size (fake people only), with the cases the conversion must handle.

Planted at fixed positions: a multi-product appointment (`1,2,1`), an unmapped product (15), missing
optional fields, an anonymous appointment, a clientID that fails the 11-proef, one appointment on each
DST day (spring and autumn), one at an unmapped location (9), one whose details come back empty and a
BSN that lost its leading zero. The rest is random (seeded), including more multi-product ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

#: JCC products: id → (code, description, minutes). 15 is deliberately not in mappings/jcc/products.csv.
PRODUCTS: dict[str, tuple[str, str, int]] = {
    "1": ("PASAAN", "Paspoort aanvraag", 15), "2": ("IDAAN", "ID-kaart aanvraag", 15),
    "5": ("RIJAAN", "Rijbewijs aanvraag", 10), "7": ("REISUIT", "Reisdocument ophalen", 5),
    "8": ("RIJUIT", "Rijbewijs ophalen", 5), "9": ("HUWMELD", "Melding voorgenomen huwelijk", 30),
    "15": ("UITTREKBS", "Uittreksel Burgerlijke Stand", 10), "20": ("UITKINT", "Intakegesprek uitkering", 45),
    "30": ("MILIEU", "Bezoek Milieustraat", 15),
}
#: JCC locations: id → (description, city, product ids offered). 9 is not in mappings/jcc/locations.csv.
LOCATIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "1": ("Stadswinkel Koningsplein", "Tilburg", ("1", "2", "5", "7", "8", "9")),
    "2": ("Werk & Inkomen", "Tilburg", ("20",)),
    "3": ("Zorg- en Veiligheidshuis", "Tilburg", ("20",)),
    "4": ("Milieustraat", "Tilburg", ("30",)),
    "9": ("Stadswinkel Reeshof (gesloten)", "Tilburg", ("1",)),
}
FIRST_NAMES = ("Jan", "Fatima", "Pieter", "Sanne", "Mohammed", "Eva", "Daan", "Noor", "Lucas", "Anna")
LAST_NAMES = (("", "Jansen"), ("de", "Vries"), ("van", "Dijk"), ("", "Bakker"), ("El", "Amrani"),
              ("van den", "Berg"), ("", "Yilmaz"), ("de", "Boer"), ("", "Smit"), ("van der", "Linden"))


@dataclass
class SimAppointment:
    """One appointment as JCC stores it: local wall-clock times, raw text fields."""

    app_id: str
    location_id: str
    product_ids: str
    start: datetime
    end: datetime
    client: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    case_id: str | None = None
    empty_details: bool = False


def fake_bsn(rng: random.Random) -> str:
    """A random nine-digit number that passes the 11-proef (not a real person's)."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(8)]
        check = sum(w * d for w, d in zip(range(9, 1, -1), digits, strict=True)) % 11
        if check < 10 and digits[0] != 0:
            return "".join(map(str, digits)) + str(check)


def leading_zero_bsn(rng: random.Random) -> str:
    """A valid BSN that starts with 0, written without it (8 digits), as a number column would keep it."""
    while True:
        digits = [0, *(rng.randint(0, 9) for _ in range(7))]
        check = sum(w * d for w, d in zip(range(9, 1, -1), digits, strict=True)) % 11
        if check < 10:
            return ("".join(map(str, digits)) + str(check))[1:]


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def dst_days(after: date) -> tuple[date, date]:
    """The next spring-forward and fall-back days (last Sundays of March and October) after `after`."""
    spring = last_sunday(after.year, 3)
    if spring <= after:
        spring = last_sunday(after.year + 1, 3)
    autumn = last_sunday(after.year, 10)
    if autumn <= after:
        autumn = last_sunday(after.year + 1, 10)
    return spring, autumn


def _client(rng: random.Random, n: int) -> dict[str, str]:
    first = rng.choice(FIRST_NAMES)
    prefix, last = rng.choice(LAST_NAMES)
    client = {"clientID": fake_bsn(rng), "clientFirstName": first, "clientInitials": first[0],
              "clientLastNamePrefix": prefix, "clientLastName": last.upper() if n % 17 == 0 else last,
              "clientDateOfBirth": date(1940 + rng.randint(0, 65), rng.randint(1, 12), rng.randint(1, 28)).isoformat(),
              "clientMail": f"{first.lower()}.{n}@example.nl",
              "clientMobile": rng.choice(("06-{0}", "06{0}", "+31 6 {0}", "0031 6{0}")).format(
                  f"{rng.randint(10000000, 99999999)}"),
              "clientLanguage": rng.choice(("NL", "NL", "NL", "EN"))}
    if n % 11 == 0:
        client.pop("clientMail")
    if n % 13 == 0:
        client.pop("clientMobile")
    return client


def _slot(rng: random.Random, day: date, minutes: int) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(8, 30)) + timedelta(minutes=15 * rng.randint(0, 32))
    return start, start + timedelta(minutes=minutes)


def _duration(product_ids: str) -> int:
    return sum(PRODUCTS[p][2] for p in product_ids.split(","))


def generate(count: int, *, seed: int = 0, today: date | None = None, history_days: int = 7) -> list[SimAppointment]:
    """`count` appointments from `today - history_days` on; planted cases (see module doc) lie in the future."""
    rng = random.Random(seed)
    today = today or date.today()
    first = today - timedelta(days=history_days)
    days = max(14 + history_days, count // 60)
    spring, autumn = dst_days(today)
    tomorrow = today + timedelta(days=1)
    out: list[SimAppointment] = []

    def add(location: str, products: str, day: date, client: dict[str, str], **extra: object) -> SimAppointment:
        start, end = _slot(rng, day, _duration(products))
        item = SimAppointment(app_id=str(100000 + len(out)), location_id=location, product_ids=products,
                              start=start, end=end, client=client, **extra)  # type: ignore[arg-type]
        out.append(item)
        return item

    planted = [
        lambda: add("1", "1,2,1", tomorrow, _client(rng, 1), description="Gezin: twee paspoorten en een ID-kaart"),
        lambda: add("1", "15", tomorrow, _client(rng, 2)),
        lambda: add("1", "5", tomorrow, {"clientID": fake_bsn(rng), "clientLastName": "Visser",
                                          "clientDateOfBirth": "0001-01-01"}),
        lambda: add("4", "30", tomorrow, {}),
        lambda: add("1", "1", tomorrow, {**_client(rng, 5), "clientID": "123456789"}),
        lambda: add("1", "7", spring, _client(rng, 6)),
        lambda: add("1", "8", autumn, _client(rng, 7)),
        lambda: add("9", "1", tomorrow, _client(rng, 8)),
        lambda: add("1", "2", tomorrow, _client(rng, 9), empty_details=True),
        lambda: add("2", "20", tomorrow, {**_client(rng, 10), "clientID": leading_zero_bsn(rng)},
                    case_id="ZAAK-2027-0042"),
    ]
    for make in planted[:count]:
        make()
    mapped_locations = [loc for loc in LOCATIONS if loc != "9"]
    while len(out) < count:
        n = len(out)
        location = rng.choice(mapped_locations)
        offered = LOCATIONS[location][2]
        products = rng.choice(offered)
        if len(offered) > 1 and rng.random() < 0.15:
            products = ",".join(rng.choices(offered[:3], k=rng.randint(2, 3)))
        day = first + timedelta(days=rng.randrange(days))
        add(location, products, day, _client(rng, n) if rng.random() > 0.05 else {})
    return out


__all__ = ["LOCATIONS", "PRODUCTS", "SimAppointment", "dst_days", "fake_bsn", "generate", "leading_zero_bsn"]
