"""Find personal data of the test fixtures in text the hub produced (logs, dead-letter reasons, metrics, audit).

The scan looks for the exact values the fixtures used (BSNs, e-mail addresses, phone numbers), so it has no
false positives on ids that merely look like numbers; `personal_values` collects them from a demo day plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.support.events import FAKE_BSN

#: The values `tests.support.events` puts in every fixture.
FIXTURE_VALUES = frozenset({FAKE_BSN, "jan@example.nl", "0612345678"})


@dataclass(frozen=True)
class Hit:
    """One personal value found in one place (`where` names the log file, table or metric)."""

    where: str
    value: str
    excerpt: str

    def __str__(self) -> str:  # masked, so an assertion message does not repeat the value in full
        return f"{self.where}: …{self.value[:3]}*** in {self.excerpt!r}"


def personal_values(plan: Any) -> frozenset[str]:
    """BSNs, e-mail addresses and phone numbers of every customer in a `hub.demo.day.DayPlan`."""
    found: set[str] = set(FIXTURE_VALUES)
    for appointment in plan.appointments:
        customer = appointment.customer or {}
        found.update(str(customer[k]) for k in ("bsn", "email", "phone") if customer.get(k))
    return frozenset(found)


def find_personal_data(texts: Iterable[tuple[str, str]], values: Iterable[str]) -> list[Hit]:
    """Every occurrence of one of `values` in `(where, text)` pairs, with a short masked excerpt."""
    wanted = sorted(set(values), key=len, reverse=True)
    hits: list[Hit] = []
    for where, text in texts:
        for value in wanted:
            start = text.find(value)
            if start >= 0:
                excerpt = text[max(0, start - 40):start].replace("\n", " ")
                hits.append(Hit(where, value, excerpt + "<value>"))
    return hits
