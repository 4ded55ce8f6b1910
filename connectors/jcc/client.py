"""`JccClient`: the zeep client of JCC's `GenericGuidanceSystem2` SOAP service (read operations only).

The XML parser forbids DTDs, entity declarations and external references (XXE-safe). Transient
failures (timeouts, connection errors, HTTP 429/5xx, a SOAP fault answered 429/503) are retried with the
shared policy, honouring the answer's Retry-After (read by `AnswerTransport`); what is left is raised as
`hub.errors.TransientError` (with its `retry_after`) or `PermanentError` naming the operation only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, Self, TypeVar

import requests
from zeep import Client
from zeep import Settings as ZeepSettings
from zeep.helpers import serialize_object

from connectors.foundation.lifecycle import Closing
from connectors.foundation.peer_calls import counted
from connectors.foundation.retry import RetryPolicy, retrying
from connectors.jcc.errors import CONNECTOR, error_for
from connectors.jcc.parse import appointment_from_fields, incomplete
from connectors.jcc.quirks import blank_to_none
from connectors.jcc.settings import JccSettings
from connectors.jcc.transport import AnswerTransport
from hub.errors import DeliveryError
from hub.logging import outbound_headers
from hub.outbound import traced_session
from mappings.jcc.records import JccAppointment, JccLocation, JccProduct, payload_hash

T = TypeVar("T")
SERVICE_BINDING = "{http://wbsvc_gtr.jccsoftware.nl}GenericGuidanceSystem2Soap"
#: JCC's retry defaults (`max_retries` from settings); a longer Retry-After goes back to the caller.
RETRY = RetryPolicy(max_retries=3, backoff_base_seconds=0.5, backoff_cap_seconds=10.0, max_inline_retry_after=30.0)


def safe_settings() -> ZeepSettings:
    """zeep settings for untrusted XML: no DTDs, no entities, no external references, no huge trees."""
    return ZeepSettings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True,
                        xml_huge_tree=False)


class _CorrelatedSession(requests.Session):
    """A requests session that adds the correlation id header to every request."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        outbound_headers(headers)
        kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


class JccClient(Closing):
    """Typed, retrying reads of the JCC appointment web service."""

    def __init__(self, wsdl_url: str, *, endpoint_url: str | None = None, username: str | None = None,
                 password: str | None = None, timeout: float = 30.0, max_retries: int = 3,
                 max_concurrency: int = 8, sleep: Callable[[float], None] = time.sleep,
                 session: requests.Session | None = None) -> None:
        if session is None:
            session = traced_session("jcc", _CorrelatedSession(), pool_connections=2,
                                     pool_maxsize=max(max_concurrency, 2))
        if username:
            session.auth = (username, password or "")
        self._transport = AnswerTransport(session, timeout=timeout, operation_timeout=timeout)
        try:
            self._client = Client(wsdl_url, transport=self._transport, settings=safe_settings())
        except Exception as exc:
            raise error_for("wsdl", exc) from exc
        self._service = (self._client.create_service(SERVICE_BINDING, endpoint_url) if endpoint_url
                         else self._client.service)
        self._retrying = retrying(RETRY.with_retries(max_retries), sleep)
        self.max_concurrency = max_concurrency

    @classmethod
    def from_settings(cls, settings: JccSettings, **kwargs: Any) -> Self:
        """A client configured from `JccSettings`; kwargs override."""
        kwargs.setdefault("endpoint_url", settings.endpoint_url)
        kwargs.setdefault("username", settings.username)
        kwargs.setdefault("password", settings.password.get_secret_value() if settings.password else None)
        kwargs.setdefault("timeout", settings.timeout_seconds)
        kwargs.setdefault("max_retries", settings.max_retries)
        kwargs.setdefault("max_concurrency", settings.max_concurrency)
        return cls(settings.wsdl_url, **kwargs)

    def close(self) -> None:
        self._transport.session.close()

    @property
    def operations(self) -> list[str]:
        """The operation names the service offers (from the WSDL)."""
        binding = self._client.wsdl.bindings[SERVICE_BINDING]
        return sorted(binding.all())

    # -- plumbing -------------------------------------------------------------------------------
    def _once(self, operation: str, kwargs: dict[str, Any]) -> Any:
        with counted(CONNECTOR):
            self._transport.take_answer()  # forget this thread's previous answer
            try:
                return getattr(self._service, operation)(**kwargs)
            except DeliveryError:
                raise
            except Exception as exc:
                raise error_for(operation, exc, self._transport.take_answer()) from exc

    def call(self, operation: str, **kwargs: Any) -> Any:
        """Call `operation` with retries; the zeep result."""
        return self._retrying.copy()(self._once, operation, kwargs)

    # -- reference data -------------------------------------------------------------------------
    def location_ids(self) -> list[str]:
        """getGovLocations: every location id (an empty answer is an empty list)."""
        result = self.call("getGovLocations")
        return [str(i).strip() for i in (result or []) if blank_to_none(i)]

    def location(self, location_id: str) -> JccLocation:
        """getGovLocationDetails of one location."""
        details = self.call("getGovLocationDetails", locationID=location_id)
        return JccLocation(location_id=location_id, description=blank_to_none(getattr(details, "locationDesc", None)),
                           city=blank_to_none(getattr(details, "city", None)))

    def products(self) -> list[JccProduct]:
        """getGovAvailableProducts: every product JCC offers."""
        result = self.call("getGovAvailableProducts")
        return [JccProduct(product_id=str(p.productId).strip(), code=blank_to_none(p.productCode),
                           description=blank_to_none(p.productDesc))
                for p in (result or []) if blank_to_none(p.productId)]

    # -- appointments ---------------------------------------------------------------------------
    def appointment_ids(self, day: date, location_id: str) -> list[str]:
        """getGovAppointments(day, locationID): the ids of that day's appointments (duplicates removed)."""
        result = self.call("getGovAppointments", day=day, locationID=location_id)
        ids = [blank_to_none(getattr(a, "appointmentID", None)) for a in (result or [])]
        return list(dict.fromkeys(i for i in ids if i))

    def appointment(self, app_id: str, location_id: str | None = None) -> tuple[JccAppointment, str]:
        """getGovAppointmentExtendedDetails(appID): the appointment and the hash of its raw payload.

        An empty answer gives an incomplete record (listed, but no details), never an exception.
        """
        rec, digest, _ = self.appointment_payload(app_id, location_id)
        return rec, digest

    def appointment_payload(self, app_id: str, location_id: str | None = None
                            ) -> tuple[JccAppointment, str, dict[str, Any] | None]:
        """Like `appointment`, plus the raw payload as JCC answered it (None when it answered empty)."""
        details = self.call("getGovAppointmentExtendedDetails", appID=app_id)
        raw = serialize_object(details, dict) if details is not None else None
        if not raw or not any(v not in (None, "", False) for v in raw.values()):
            return incomplete(app_id, location_id), payload_hash({"appID": app_id, "empty": True}), None
        return appointment_from_fields(raw, app_id), payload_hash(raw), dict(raw)

    def appointments(self, app_ids: Iterable[str], location_id: str | None = None,
                     concurrency: int | None = None) -> Iterator[tuple[JccAppointment, str]]:
        """Extended details of many appointments, at most `concurrency` requests in flight, in order."""
        for rec, digest, _ in self.payloads(app_ids, location_id, concurrency):
            yield rec, digest

    def payloads(self, app_ids: Iterable[str], location_id: str | None = None,
                 concurrency: int | None = None) -> Iterator[tuple[JccAppointment, str, dict[str, Any] | None]]:
        """`appointments` with each raw payload (what the conversion's reconciliation compares against)."""
        workers = concurrency or self.max_concurrency
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jcc") as pool:
            yield from pool.map(lambda i: self.appointment_payload(i, location_id), app_ids)


__all__ = ["SERVICE_BINDING", "JccClient", "safe_settings"]
