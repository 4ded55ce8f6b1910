"""`RegisterSimulator`: the appointment register in memory, over HTTP and as a Python domain API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from hub.model import APPOINTMENT_EVENT_PREFIX, Appointment, CloudEvent, Customer
from hub.model import AppointmentStatus as S
from sandbox.faults import Faults
from sandbox.framework import Simulator
from sandbox.register.api import API_PREFIX, TOKEN_PATH, add_routes
from sandbox.register.auth import TokenIssuer
from sandbox.register.emitter import EventEmitter
from sandbox.register.ratelimit import RateLimit, RateLimitMiddleware
from sandbox.register.seed import KONINGSPLEIN, Catalog
from sandbox.register.state import ALLOWED_FROM, CHANGEABLE, Clock, Notification, RegisterState

SOURCE = "urn:afsprakenhub:sandbox:register"
DEFAULT_CLIENT_ID = "afsprakenhub"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - a loopback simulator's fixed credential


class RegisterSimulator(Simulator):
    """The register: HTTP API at `{prefix}/api/v1`, tokens at `{prefix}/oauth/token`, events to the hub.

    Changes made with the domain methods (`book`, `cancel`, …) emit a CloudEvent; so do creates, updates,
    completes and cancels through the API unless `echo_api_changes=False`. A close never emits.
    """

    api_version = "1.0.0"

    def __init__(self, *, prefix: str = "/register", seed: int = 0, faults: Faults | None = None,
                 client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 token_lifetime_s: int = 3600, hub_url: str | None = None, hub_token: str | None = None,
                 clock: Clock | None = None, echo_api_changes: bool = True,
                 emitter: EventEmitter | None = None) -> None:
        super().__init__("register", prefix, seed=seed, faults=faults)
        self.catalog = Catalog()
        self.echo_api_changes = echo_api_changes
        self.emitter = emitter or EventEmitter(hub_url, hub_token, seed=seed)
        if emitter is not None and hub_url is not None:
            self.emitter.configure(hub_url, hub_token)
        self.state = RegisterState(clock=clock, on_change=self._emit)
        self.tokens = TokenIssuer(client_id, client_secret, lifetime_s=token_lifetime_s, clock=self.state.clock)
        self.rate_limit: RateLimit | None = None
        add_routes(self.app, self)
        self.app.add_middleware(RateLimitMiddleware, limit=lambda: self.rate_limit, api_prefix=API_PREFIX)

    def set_rate_limit(self, rate: float | None, burst: float | None = None) -> RateLimit | None:
        """Enforce at most `rate` API requests per second (429 with Retry-After beyond it); None lifts it."""
        self.rate_limit = RateLimit(rate, burst) if rate else None
        return self.rate_limit

    # -- URLs, credentials, lifecycle ----------------------------------------------------------
    @property
    def api_url(self) -> str:
        """Base URL of the API (`…/register/api/v1`); needs a started server."""
        return f"{self._base()}{API_PREFIX}"

    @property
    def token_url(self) -> str:
        return f"{self._base()}{TOKEN_PATH}"

    def _base(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the register is not served yet; start a SandboxServer with it")
        return self.base_url

    def describe(self) -> dict[str, str]:
        info = {"url": self.base_url or self.prefix, "clientId": self.tokens.client_id,
                "clientSecret": self.tokens.client_secret, "eventsTo": self.emitter.events_url or "(kept in memory)"}
        if self.base_url:
            info.update(apiUrl=self.api_url, tokenUrl=self.token_url)
        return info

    def configure_hub(self, hub_url: str | None, hub_token: str | None) -> None:
        """Send events to this hub from now on (None: keep them in `emitted` only)."""
        self.emitter.configure(hub_url, hub_token)

    def on_stop(self) -> None:
        self.emitter.stop()

    def access_token(self) -> str:
        """A valid bearer token, issued directly (for scripts and tests)."""
        token = self.tokens.issue(self.tokens.client_id, self.tokens.client_secret)
        assert token is not None
        return token

    # -- what happened -------------------------------------------------------------------------
    @property
    def emitted(self) -> list[CloudEvent]:
        """Every event produced, in order (also those posted to the hub)."""
        return self.emitter.emitted

    @property
    def notifications_sent(self) -> list[Notification]:
        """Customer notifications the register would have sent (API changes with notifyCustomer)."""
        return self.state.notifications_sent

    def get(self, appointment_id: str) -> Appointment:
        return self.state.get(appointment_id).appointment

    def appointments(self) -> list[Appointment]:
        return [r.appointment for r in self.state.records()]

    def notifications_for(self, appointment_id: str) -> list[Notification]:
        return [n for n in self.notifications_sent if n.appointment_id == appointment_id]

    # -- domain API (register UI and desk actions; each emits an event) -------------------------
    def book(self, start: datetime, end: datetime | None = None, *, products: Sequence[str] = ("PASPOORT-AANVRAAG",),
             location: str = KONINGSPLEIN, customer: Customer | Mapping[str, Any] | None = None,
             employee: str | None = None, room: str | None = None, counter: str | None = None,
             channel: str = "online", department: str | None = None, case_reference: str | None = None,
             notes: str | None = None, external_id: str | None = None, group_size: int = 1) -> Appointment:
        """Book a new appointment; `end` defaults to start + the products' durations."""
        infos = [self.catalog.products[c] for c in products if c in self.catalog.products]
        if end is None:
            end = start + timedelta(minutes=sum(p.duration_minutes for p in infos) or 15)
        fields: dict[str, Any] = {
            "status": S.BOOKED, "start": start, "end": end, "location": self.catalog.location_ref(location),
            "products": [self.catalog.product_ref(c) for c in products],
            "department": department or (infos[0].department if infos else None), "channel": channel,
            "customer": customer, "case_reference": case_reference, "notes": notes, "external_id": external_id,
            "group_size": group_size,
            "employee": self.catalog.employee_ref(employee) if employee else None,
            "room": self.catalog.room_ref(room) if room else None,
            "counter": self.catalog.counter_ref(counter) if counter else None,
        }
        return self.state.create(fields).appointment

    def reschedule(self, appointment_id: str, start: datetime, end: datetime | None = None) -> Appointment:
        """Move to a new time (status `rescheduled`); `end` keeps the duration by default."""
        old = self.get(appointment_id)
        end = end or start + (old.end - old.start)
        return self._change(appointment_id, {"start": start, "end": end, "status": S.RESCHEDULED},
                            "rescheduled", ALLOWED_FROM[S.RESCHEDULED])

    def reassign(self, appointment_id: str, *, employee: str | None = None, room: str | None = None,
                 counter: str | None = None) -> Appointment:
        """Give it another employee, room or counter; keeps the status, emits `rescheduled`."""
        updates: dict[str, Any] = {}
        if employee:
            updates["employee"] = self.catalog.employee_ref(employee)
        if room:
            updates["room"] = self.catalog.room_ref(room)
        if counter:
            updates["counter"] = self.catalog.counter_ref(counter)
        if not updates:
            raise ValueError("name an employee, room or counter")
        return self._change(appointment_id, updates, "rescheduled", CHANGEABLE)

    def cancel(self, appointment_id: str) -> Appointment:
        return self._to(appointment_id, S.CANCELLED)

    def check_in(self, appointment_id: str) -> Appointment:
        return self._to(appointment_id, S.CHECKED_IN)

    def check_in_verified(self, appointment_id: str) -> Appointment:
        """Check in at the counter after an employee checked the customer's identity document: the event
        carries `customer.identification` = `verified-at-counter`."""
        old = self.get(appointment_id)
        updates: dict[str, Any] = {"status": S.CHECKED_IN}
        if old.customer is not None and not old.customer.anonymous:
            updates["customer"] = old.customer.model_dump() | {"identification": "verified-at-counter"}
        return self._change(appointment_id, updates, S.CHECKED_IN.value, ALLOWED_FROM[S.CHECKED_IN])

    def call(self, appointment_id: str, counter: str | None = None) -> Appointment:
        """Call the customer to the desk (optionally to a counter)."""
        extra = {"counter": self.catalog.counter_ref(counter)} if counter else {}
        return self._change(appointment_id, {"status": S.CALLED, **extra}, "called", ALLOWED_FROM[S.CALLED])

    def start(self, appointment_id: str) -> Appointment:
        return self._to(appointment_id, S.STARTED)

    def complete(self, appointment_id: str) -> Appointment:
        return self._to(appointment_id, S.COMPLETED)

    def no_show(self, appointment_id: str) -> Appointment:
        return self._to(appointment_id, S.NO_SHOW)

    def _to(self, appointment_id: str, status: S) -> Appointment:
        return self._change(appointment_id, {"status": status}, status.value, ALLOWED_FROM[status])

    def _change(self, appointment_id: str, updates: dict[str, Any], kind: str,
                allowed_from: frozenset[S]) -> Appointment:
        """Apply a domain change; the same state again is a no-op without an event."""
        _, record = self.state.change(appointment_id, updates, kind, allowed_from=allowed_from)
        return record.appointment

    def _emit(self, appointment: Appointment, kind: str, at: datetime) -> None:
        self.emitter.emit(CloudEvent(
            specversion="1.0", id=f"{appointment.id}-v{appointment.version}", source=SOURCE,
            type=f"{APPOINTMENT_EVENT_PREFIX}{kind}", subject=appointment.id, time=at,
            datacontenttype="application/json", data=appointment.wire(),
        ))
