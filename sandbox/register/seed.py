"""The register's reference data: products, locations, counters, rooms and employees (fictional)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from hub.model import Counter, Employee, Location, Product, Room
from sandbox.register.models import CounterInfo, EmployeeInfo, LocationInfo, ProductInfo, RoomInfo

BURGERZAKEN = "Burgerzaken"
WERK_INKOMEN = "Werk & Inkomen"
ZORG_VEILIGHEID = "Zorg en Veiligheid"
AFVAL = "Afval en Grondstoffen"

KONINGSPLEIN = "LOC-KONINGSPLEIN"
WERK_EN_INKOMEN = "LOC-WERK-INKOMEN"
ZVH = "LOC-ZVH"
MILIEUSTRAAT = "LOC-MILIEUSTRAAT"

PRODUCTS = (
    ProductInfo(code="PASPOORT-AANVRAAG", name="Paspoort aanvragen", department=BURGERZAKEN,
                duration_minutes=15),
    ProductInfo(code="ID-KAART-AANVRAAG", name="ID-kaart aanvragen", department=BURGERZAKEN,
                duration_minutes=15),
    ProductInfo(code="RIJBEWIJS-AANVRAAG", name="Rijbewijs aanvragen", department=BURGERZAKEN,
                duration_minutes=10),
    ProductInfo(code="REISDOCUMENT-UITREIKING", name="Paspoort of ID-kaart ophalen", department=BURGERZAKEN,
                duration_minutes=5),
    ProductInfo(code="RIJBEWIJS-UITREIKING", name="Rijbewijs ophalen", department=BURGERZAKEN,
                duration_minutes=5),
    ProductInfo(code="HUWELIJK-MELDING", name="Melding voorgenomen huwelijk", department=BURGERZAKEN,
                duration_minutes=30),
    ProductInfo(code="UITKERING-INTAKE", name="Intakegesprek uitkering", department=WERK_INKOMEN,
                duration_minutes=45),
    ProductInfo(code="MILIEUSTRAAT-BEZOEK", name="Bezoek Milieustraat", department=AFVAL,
                duration_minutes=15),
)

LOCATIONS = (
    LocationInfo(id=KONINGSPLEIN, name="Stadswinkel Koningsplein", address="Koningsplein 1, 5000 AA Tilburg"),
    LocationInfo(id=WERK_EN_INKOMEN, name="Werk & Inkomen", address="Stadhuisplein 2, 5000 AB Tilburg"),
    LocationInfo(id=ZVH, name="Zorg- en Veiligheidshuis", address="Voorbeeldstraat 3, 5000 AC Tilburg"),
    LocationInfo(id=MILIEUSTRAAT, name="Milieustraat", address="Voorbeeldweg 4, 5000 AD Tilburg"),
)

COUNTERS = (
    *(CounterInfo(id=f"BALIE-{n}", name=f"Balie {n}", location_id=KONINGSPLEIN) for n in range(1, 5)),
    CounterInfo(id="WI-BALIE-1", name="Balie Werk & Inkomen 1", location_id=WERK_EN_INKOMEN),
    CounterInfo(id="MS-POORT-1", name="Milieustraat poort 1", location_id=MILIEUSTRAAT),
)

ROOMS = (
    RoomInfo(id="SPREEKKAMER-3", name="Spreekkamer 3", location_id=KONINGSPLEIN,
             mailbox="spreekkamer3@example.nl"),
    RoomInfo(id="TROUWKAMER", name="Trouwkamer", location_id=KONINGSPLEIN, mailbox="trouwkamer@example.nl"),
    RoomInfo(id="WI-SPREEKKAMER-1", name="Spreekkamer 1 Werk & Inkomen", location_id=WERK_EN_INKOMEN,
             mailbox="wi-spreekkamer1@example.nl"),
    RoomInfo(id="ZVH-OVERLEG-1", name="Overlegruimte 1 ZVH", location_id=ZVH,
             mailbox="zvh-overleg1@example.nl"),
)

T = TypeVar("T")

EMPLOYEES = (
    EmployeeInfo(id="EMP-001", name="P. Jansen", upn="p.jansen@example.nl", department=BURGERZAKEN),
    EmployeeInfo(id="EMP-002", name="S. de Vries", upn="s.devries@example.nl", department=BURGERZAKEN),
    EmployeeInfo(id="EMP-003", name="M. Bakker", upn="m.bakker@example.nl", department=WERK_INKOMEN),
    EmployeeInfo(id="EMP-004", name="A. El Amrani", upn="a.elamrani@example.nl", department=ZORG_VEILIGHEID),
    EmployeeInfo(id="EMP-005", name="K. van den Berg", upn="k.vandenberg@example.nl", department=AFVAL),
)


@dataclass(frozen=True)
class Catalog:
    """Reference data by key; the default is the fixed fictional set above."""

    products: dict[str, ProductInfo] = field(default_factory=lambda: {p.code: p for p in PRODUCTS})
    locations: dict[str, LocationInfo] = field(default_factory=lambda: {x.id: x for x in LOCATIONS})
    counters: dict[str, CounterInfo] = field(default_factory=lambda: {x.id: x for x in COUNTERS})
    rooms: dict[str, RoomInfo] = field(default_factory=lambda: {x.id: x for x in ROOMS})
    employees: dict[str, EmployeeInfo] = field(default_factory=lambda: {x.id: x for x in EMPLOYEES})

    def _find(self, table: dict[str, T], key: str, what: str) -> T:
        try:
            return table[key]
        except KeyError:
            raise ValueError(f"unknown {what} {key!r}; known: {', '.join(sorted(table))}") from None

    def location_ref(self, location_id: str) -> Location:
        x = self._find(self.locations, location_id, "location")
        return Location(id=x.id, name=x.name)

    def product_ref(self, code: str, quantity: int = 1) -> Product:
        x = self._find(self.products, code, "product")
        return Product(code=x.code, name=x.name, quantity=quantity)

    def employee_ref(self, employee_id: str) -> Employee:
        x = self._find(self.employees, employee_id, "employee")
        return Employee(id=x.id, upn=x.upn, name=x.name)

    def room_ref(self, room_id: str) -> Room:
        x = self._find(self.rooms, room_id, "room")
        return Room(id=x.id, mailbox=x.mailbox, name=x.name)

    def counter_ref(self, counter_id: str) -> Counter:
        x = self._find(self.counters, counter_id, "counter")
        return Counter(id=x.id, name=x.name)
