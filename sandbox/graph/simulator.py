"""`GraphSimulator`: Microsoft Graph calendars on loopback (users and room mailboxes, events, `$batch`)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sandbox.faults import Faults
from sandbox.framework import Simulator
from sandbox.graph.api import add_routes
from sandbox.graph.state import GraphState, StoredEvent, graph_time
from sandbox.register.auth import TokenIssuer

TENANT = "sandbox-tenant"
CLIENT_ID = "afsprakenhub"
CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - a loopback simulator's fixed credential
HUB_PREFIX = "afsprakenhub-"


class GraphSimulator(Simulator):
    """Graph at `{prefix}/v1.0`, Entra tokens at `{prefix}/login/{tenant}/oauth2/v2.0/token`.

    Creates with a known `transactionId` return the existing event (no duplicate), as Graph does.
    `throttle_batch_items(n)` answers the next n requests inside `$batch` with 429 + Retry-After.
    """

    def __init__(self, *, prefix: str = "/graph", seed: int = 0, faults: Faults | None = None,
                 client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        super().__init__("graph", prefix, seed=seed, faults=faults)
        self.state = GraphState()
        self.tokens = TokenIssuer(client_id, client_secret, lifetime_s=3600, clock=lambda: datetime.now(UTC))
        self.requests: list[tuple[str, str]] = []
        self.batch_sizes: list[int] = []
        self.item_retry_after_s = 0
        self._item_throttles = 0
        self._lock = threading.Lock()
        add_routes(self.app, self)

    @property
    def graph_url(self) -> str:
        return f"{self._base()}/v1.0"

    @property
    def authority_url(self) -> str:
        return f"{self._base()}/login"

    def _base(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the Graph simulator is not served yet; start a SandboxServer with it")
        return self.base_url

    def describe(self) -> dict[str, str]:
        info = {"url": self.base_url or self.prefix, "tenantId": TENANT, "clientId": self.tokens.client_id,
                "clientSecret": self.tokens.client_secret}
        if self.base_url:
            info.update(graphUrl=self.graph_url, authorityUrl=self.authority_url)
        return info

    def settings(self, **extra: Any) -> dict[str, Any]:
        """Hub `outlook` settings pointing at this simulator."""
        return {"tenant_id": TENANT, "client_id": self.tokens.client_id, "client_secret": self.tokens.client_secret,
                "authority_url": self.authority_url, "graph_base_url": self.graph_url, **extra}

    # -- knobs --------------------------------------------------------------------------------
    def throttle_batch_items(self, count: int, retry_after_s: int = 0) -> None:
        with self._lock:
            self._item_throttles = count
            self.item_retry_after_s = retry_after_s

    def take_item_throttle(self) -> bool:
        with self._lock:
            if self._item_throttles > 0:
                self._item_throttles -= 1
                return True
            return False

    # -- what a person sees in Outlook ----------------------------------------------------------
    def events(self, mailbox: str) -> list[StoredEvent]:
        return self.state.in_mailbox(mailbox)

    def hub_events(self, mailbox: str | None = None) -> list[StoredEvent]:
        """Events the hub placed (transactionId prefix), in one mailbox or all."""
        with self.state.lock:
            found = [e for e in self.state.events.values() if (e.transaction_id or "").startswith(HUB_PREFIX)
                     and (mailbox is None or e.mailbox == mailbox.lower())]
        return sorted(found, key=lambda e: (e.mailbox, e.start, e.id))

    def add_event(self, mailbox: str, start: datetime, end: datetime, *, subject: str = "Overleg",
                  show_as: str = "busy") -> StoredEvent:
        """A meeting the employee made in Outlook (not placed by the hub)."""
        event, _ = self.state.create(mailbox, {"subject": subject, "start": graph_time(start),
                                               "end": graph_time(end), "showAs": show_as})
        return event

    def move_event(self, event_id: str, start: datetime, end: datetime) -> None:
        with self.state.lock:
            event = self.state.events[event_id]
            event.start, event.end = start.astimezone(UTC), end.astimezone(UTC)

    def remove_event(self, event_id: str) -> None:
        with self.state.lock:
            self.state.events.pop(event_id, None)

    def busy_times(self, mailbox: str, start: datetime, end: datetime,
                   statuses: tuple[str, ...] = ("busy", "oof", "tentative")) -> list[tuple[datetime, datetime]]:
        """The mailbox's busy intervals not placed by the hub (what the register should hold)."""
        return [(e.start, e.end) for e in self.state.in_mailbox(mailbox, start, end)
                if e.show_as in statuses and not (e.transaction_id or "").startswith(HUB_PREFIX)]
