"""The flow registry: each flow declares the event types it consumes and a handler."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hub.ports.capabilities import Capability

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.context import FlowContext, InboundEvent
    from hub.model import CloudEvent

Handler = Callable[["InboundEvent", "FlowContext"], "str | None"]
#: Decides at intake whether a flow wants one event of a type it consumes (no delivery when False).
Wants = Callable[["CloudEvent", "Hub"], bool]


@dataclass(frozen=True)
class FlowSpec:
    """A flow: `consumes` holds exact event types or prefixes ending in `*`.

    The handler returns None (done) or a short note; it raises TransientError or
    PermanentError (hub.errors) on failure. `ordered` applies the version guard. `wants`, when set, is asked
    at intake for each event of a consumed type: False means the event gets no delivery for this flow.
    `needs`: what the flow asks of the appointment register; a register that lacks one of them gets the
    flow's deliveries ended `skipped` ("not supported by register <vendor>: <capability>"), the handler not run.
    `order_with`: the flow whose per-appointment order lock this flow's deliveries share, when it writes that
    flow's peer records and links too (two flows writing one link at once lose each other's notes).
    """

    name: str
    consumes: tuple[str, ...]
    handler: Handler
    purpose: str
    ordered: bool = True
    wants: Wants | None = None
    needs: frozenset[Capability] = frozenset()
    order_with: str | None = None

    @property
    def order_group(self) -> str:
        """The name in this flow's order lock (`order:<group>:<appointment>`)."""
        return self.order_with or self.name

    def accepts(self, event_type: str) -> bool:
        return any(
            event_type.startswith(p[:-1]) if p.endswith("*") else event_type == p for p in self.consumes
        )

    def takes(self, event: CloudEvent, hub: Hub | None) -> bool:
        """Whether this event gets a delivery for this flow (without a hub to ask, every accepted type does)."""
        return self.accepts(event.type) and (self.wants is None or hub is None or self.wants(event, hub))


@dataclass
class FlowRegistry:
    """Flows by name; one inbound event fans out to one delivery per accepting flow."""

    flows: dict[str, FlowSpec] = field(default_factory=dict)

    def add(self, spec: FlowSpec) -> FlowSpec:
        if spec.name in self.flows and self.flows[spec.name] != spec:
            raise ValueError(f"flow {spec.name!r} registered twice")
        self.flows[spec.name] = spec
        return spec

    def flow(
        self, name: str, *, consumes: tuple[str, ...], purpose: str, ordered: bool = True,
        wants: Wants | None = None, needs: frozenset[Capability] = frozenset(), order_with: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator form of `add`."""

        def register(handler: Handler) -> Handler:
            self.add(FlowSpec(name, consumes, handler, purpose, ordered, wants, needs, order_with))
            return handler

        return register

    def order_group(self, flow: str) -> str:
        """The group in `flow`'s order lock: its `order_with`, else its own name (also for an unregistered flow)."""
        spec = self.flows.get(flow)
        return spec.order_group if spec is not None else flow

    def order_groups(self) -> dict[str, str]:
        """Flows whose order lock is another flow's: name → group."""
        return {name: spec.order_group for name, spec in self.flows.items() if spec.order_group != name}

    def for_type(self, event_type: str) -> list[FlowSpec]:
        return [f for f in self.flows.values() if f.accepts(event_type)]

    def for_event(self, event: CloudEvent, hub: Hub | None) -> list[FlowSpec]:
        """The flows that get a delivery of this event: its type consumed and the flow's `wants` agreeing."""
        return [f for f in self.flows.values() if f.takes(event, hub)]

    def get(self, name: str) -> FlowSpec:
        try:
            return self.flows[name]
        except KeyError:
            raise KeyError(f"no flow named {name!r}; known: {', '.join(sorted(self.flows))}") from None


#: The product's registry; flow modules register into it when imported.
REGISTRY = FlowRegistry()


def load_flow_modules(modules: list[str]) -> None:
    """Import the configured flow modules so they register themselves."""
    for module in modules:
        importlib.import_module(module)
