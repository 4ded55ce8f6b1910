"""The type → flow table: which flows an accepted event goes to, beyond what each flow declares itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import structlog

from hub.registry import FlowRegistry, Wants

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.model import CloudEvent

log = structlog.get_logger("afsprakenhub.routing")

#: The NL GOV CloudEvents profile's zaak types (Open Notificaties with CloudEvents switched on, TIP): each
#: may mean "this zaak was closed", so zaak closure looks at the zaak's current state. Operations add more
#: with `AFSPRAKENHUB_EVENT_ROUTES` (JSON: `{"<type or prefix*>": ["<flow>", ...]}`).
DEFAULT_ROUTES: dict[str, tuple[str, ...]] = {
    "nl.overheid.zaken.zaak-gesloten": ("zaak_closure",),
    "nl.overheid.zaken.zaak-afgesloten": ("zaak_closure",),
    "nl.overheid.zaken.zaakstatus-gewijzigd": ("zaak_closure",),
    "nl.overheid.zaken.zaakstatus-aangemaakt": ("zaak_closure",),
    "nl.overheid.zaken.zaak-gewijzigd": ("zaak_closure",),
}


def _matches(pattern: str, event_type: str) -> bool:
    return event_type.startswith(pattern[:-1]) if pattern.endswith("*") else event_type == pattern


class EventRoutes:
    """The flows that consume a type: those whose `consumes` accepts it, plus the table's entries."""

    def __init__(self, registry: FlowRegistry, extra: Mapping[str, Sequence[str]]) -> None:
        self._registry = registry
        table: dict[str, tuple[str, ...]] = dict(DEFAULT_ROUTES)
        for pattern, flows in extra.items():
            table[pattern] = tuple(dict.fromkeys([*table.get(pattern, ()), *flows]))
        self.table = table
        unknown = sorted({f for flows in extra.values() for f in flows if f not in registry.flows})
        if unknown:  # an operator's typo shows up at start, not as events that silently go nowhere
            log.warning("routing.unknown_flow", flows=unknown, known=sorted(registry.flows),
                        hint="AFSPRAKENHUB_EVENT_ROUTES names flows that are not registered; they are ignored")

    def flows_for(self, event_type: str) -> tuple[str, ...]:
        """Flow names for one type, each once, in registration order then table order."""
        names = [f.name for f in self._registry.for_type(event_type)]
        for pattern, flows in self.table.items():
            if _matches(pattern, event_type):
                names.extend(f for f in flows if f in self._registry.flows)
        return tuple(dict.fromkeys(names))

    def flows_for_event(self, event: CloudEvent, hub: Hub | None) -> tuple[str, ...]:
        """`flows_for` its type, less the flows whose `wants` declines this event (no hub: none declines)."""
        specs = self._registry.flows
        return tuple(n for n in self.flows_for(event.type) if hub is None or _wanted(specs[n].wants, event, hub))


def _wanted(wants: Wants | None, event: CloudEvent, hub: Hub) -> bool:
    """A flow without a `wants` predicate takes every event of its types."""
    return wants is None or wants(event, hub)
