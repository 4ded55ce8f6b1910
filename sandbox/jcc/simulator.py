"""`JccSimulator`: JCC-Afspraken's `GenericGuidanceSystem2` SOAP service on loopback.

Serves the project's own WSDL (written from the published one) at `{prefix}/?wsdl` and answers SOAP
1.1 envelopes at `{prefix}/` from a generated data set (`sandbox.jcc.dataset`). Built on FastAPI +
lxml rather than a SOAP server library: spyne would generate its own WSDL from Python classes, while
this simulator must serve exactly the vendor's types.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date
from importlib import resources
from typing import Any

from fastapi import Request, Response

from sandbox.faults import Faults
from sandbox.framework import Simulator
from sandbox.jcc.dataset import LOCATIONS, PRODUCTS, SimAppointment, generate
from sandbox.jcc.soap import CONTENT_TYPE, SoapRequestError, envelope, fault, parse_request

WSDL_ADDRESS = "http://127.0.0.1:8701/jcc/"


def wsdl_text() -> str:
    """The simulator's WSDL as shipped (soap:address pointing at the default sandbox port)."""
    return resources.files("sandbox.jcc").joinpath("wsdl/GenericGuidanceSystem2.wsdl").read_text("utf-8")


class JccSimulator(Simulator):
    """JCC with `appointments` generated from `seed`; `delete`/`add` change it (e.g. for a final delta)."""

    def __init__(self, *, appointments: int = 200, seed: int = 0, prefix: str = "/jcc", today: date | None = None,
                 history_days: int = 7, faults: Faults | None = None,
                 products: dict[str, tuple[str, str, int]] | None = None,
                 locations: dict[str, tuple[str, str, tuple[str, ...]]] | None = None) -> None:
        """`products`/`locations` replace the catalogue JCC answers (same ids, other things behind them)."""
        super().__init__("jcc", prefix, seed=seed, faults=faults)
        self.products = products or PRODUCTS
        self.locations = locations or LOCATIONS
        self._lock = threading.Lock()
        self.records: dict[str, SimAppointment] = {}
        self._by_day: dict[tuple[date, str], list[str]] = defaultdict(list)
        for item in generate(appointments, seed=seed, today=today, history_days=history_days):
            self.add(item)
        self._wsdl = wsdl_text()
        self._add_routes()

    # -- data ----------------------------------------------------------------------------------
    def add(self, item: SimAppointment) -> None:
        with self._lock:
            self.records[item.app_id] = item
            self._by_day[(item.start.date(), item.location_id)].append(item.app_id)

    def delete(self, app_id: str) -> None:
        with self._lock:
            item = self.records.pop(app_id)
            self._by_day[(item.start.date(), item.location_id)].remove(app_id)

    @property
    def days(self) -> tuple[date, date]:
        """First and last day with an appointment."""
        starts = [r.start.date() for r in self.records.values()]
        return min(starts), max(starts)

    def describe(self) -> dict[str, str]:
        info = {"url": self.base_url or self.prefix, "appointments": str(len(self.records))}
        if self.base_url:
            info["wsdl"] = f"{self.base_url}/?wsdl"
        if self.records:
            first, last = self.days
            info["days"] = f"{first.isoformat()} .. {last.isoformat()}"
        return info

    # -- SOAP ----------------------------------------------------------------------------------
    def _add_routes(self) -> None:
        @self.app.get("/", include_in_schema=False)
        def get_wsdl(request: Request) -> Response:
            if "wsdl" not in {k.lower() for k in request.query_params}:
                return Response("GET ?wsdl for the service description", media_type="text/plain", status_code=404)
            address = f"{self.base_url}/" if self.base_url else WSDL_ADDRESS
            return Response(self._wsdl.replace(WSDL_ADDRESS, address), media_type=CONTENT_TYPE)

        @self.app.post("/", include_in_schema=False)
        async def soap(request: Request) -> Response:
            try:
                operation, params = parse_request(await request.body())
                handler = getattr(self, f"_op_{operation}", None)
                if handler is None:
                    raise SoapRequestError(f"operation {operation} is not supported by the simulator")
                return Response(envelope(operation, handler(params)), media_type=CONTENT_TYPE)
            except SoapRequestError as exc:
                return Response(fault("Client", str(exc)), status_code=500, media_type=CONTENT_TYPE)

    def _op_getGovLocations(self, params: dict[str, str]) -> list[tuple[str, Any]]:
        return [("locationIDs", loc) for loc in self.locations]

    def _op_getGovLocationDetails(self, params: dict[str, str]) -> list[tuple[str, Any]]:
        loc = self.locations.get(params.get("locationID", ""))
        if loc is None:
            return []
        return [("locaties", [("locationDesc", loc[0]), ("address", "Voorbeeldstraat 1"),
                              ("postalcode", "5000 AA"), ("city", loc[1]), ("telephone", "14 013")])]

    def _op_getGovAvailableProducts(self, params: dict[str, str]) -> list[tuple[str, Any]]:
        return [("products", [("productId", pid), ("productCode", code), ("productDesc", desc)])
                for pid, (code, desc, _) in self.products.items()]

    def _op_getGovProductDetails(self, params: dict[str, str]) -> list[tuple[str, Any]]:
        product = self.products.get(params.get("productID", ""))
        if product is None:
            return []
        return [("out", [("description", product[1]), ("appDuration", product[2])])]

    def _op_getGovAppointments(self, params: dict[str, str]) -> list[tuple[str, Any]]:
        try:
            day = date.fromisoformat(params.get("day", ""))
        except ValueError:
            raise SoapRequestError("day must be an xsd:date") from None
        with self._lock:
            ids = list(self._by_day.get((day, params.get("locationID", "")), ()))
            items = [self.records[i] for i in ids]
        product = params.get("productID")
        return [("appointment", [("appointmentID", r.app_id), ("locationID", r.location_id),
                                 ("productID", r.product_ids), ("clientID", r.client.get("clientID")),
                                 ("clientName", r.client.get("clientLastName")),
                                 ("clientBirthDate", r.client.get("clientDateOfBirth", "0001-01-01")),
                                 ("isRecurring", False)])
                for r in items if not product or product in r.product_ids.split(",")]

    def _extended(self, r: SimAppointment) -> list[tuple[str, Any]]:
        c = r.client
        first_product = self.products.get(r.product_ids.split(",")[0])
        return [
            ("appointmentID", r.app_id), ("productID", r.product_ids),
            ("productDescription", first_product[1] if first_product else None),
            ("clientID", c.get("clientID")), ("clientFirstName", c.get("clientFirstName")),
            ("clientLastNamePrefix", c.get("clientLastNamePrefix") or None),
            ("clientLastName", c.get("clientLastName")),
            ("clientDateOfBirth", c.get("clientDateOfBirth", "0001-01-01")),
            ("clientInitials", c.get("clientInitials")), ("clientTel", c.get("clientTel")),
            ("clientMobile", c.get("clientMobile")), ("clientMail", c.get("clientMail")),
            ("locationID", r.location_id), ("locationDescription", self.locations[r.location_id][0]),
            ("appStartTime", r.start.isoformat()), ("appEndTime", r.end.isoformat()),
            ("appointmentDescription", r.description), ("caseID", r.case_id), ("isClientVerified", False),
            ("clientLanguage", c.get("clientLanguage")), ("isRecurring", False),
        ]

    def _op_getGovAppointmentExtendedDetails(self, params: dict[str, str]) -> list[tuple[str, Any]]:
        with self._lock:
            r = self.records.get(params.get("appID", ""))
        if r is None or r.empty_details:
            return [("appointment", [])]
        return [("appointment", self._extended(r))]

    def _op_getGovAppointmentDetails(self, params: dict[str, str]) -> list[tuple[str, Any]]:
        with self._lock:
            r = self.records.get(params.get("appID", ""))
        if r is None or r.empty_details:
            return [("appointment", [])]
        c = r.client
        return [("appointment", [
            ("productID", r.product_ids), ("clientID", c.get("clientID")), ("clientLastName", c.get("clientLastName")),
            ("clientDateOfBirth", c.get("clientDateOfBirth", "0001-01-01")),
            ("clientInitials", c.get("clientInitials")), ("clientTel", c.get("clientMobile")),
            ("clientMail", c.get("clientMail")), ("locationID", r.location_id),
            ("appStartTime", r.start.isoformat()), ("appEndTime", r.end.isoformat()),
            ("appointmentDesc", r.description), ("caseID", r.case_id), ("isClientVerified", False),
            ("clientLanguage", c.get("clientLanguage")), ("isRecurring", False)])]


__all__ = ["WSDL_ADDRESS", "JccSimulator", "wsdl_text"]
