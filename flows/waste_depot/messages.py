"""What the gate display shows per reason, in Dutch; never a name or a pass number."""

from __future__ import annotations

from flows.waste_depot.codes import AMSTERDAM
from flows.waste_depot.rules import Decision

TEXTS: dict[str, str] = {
    "ok": "Welkom bij de milieustraat.",
    "unknown-code": "Deze code is onbekend. Meld u bij de medewerker.",
    "unknown-gate": "Deze poort is niet ingesteld. Meld u bij de medewerker.",
    "too-early": "U bent te vroeg. Toegang vanaf {opens}.",
    "too-late": "Uw afspraak is verlopen (toegang tot {closes}).",
    "cancelled": "Deze afspraak is geannuleerd.",
    "already-used": "Deze code is al gebruikt.",
    "wrong-location": "Deze afspraak is voor een andere milieustraat.",
    "pass-unknown": "Uw milieupas is onbekend. Meld u bij de medewerker.",
    "pass-void": "Uw milieupas is niet meer geldig. Meld u bij de medewerker.",
    "pass-no-credit": "U heeft geen gratis bezoeken meer dit jaar. Meld u bij de medewerker.",
}


def message_for(decision: Decision) -> str:
    """The display text (times in Europe/Amsterdam)."""
    opens = decision.opens_at.astimezone(AMSTERDAM).strftime("%H:%M") if decision.opens_at else ""
    closes = decision.closes_at.astimezone(AMSTERDAM).strftime("%H:%M") if decision.closes_at else ""
    text = TEXTS[decision.reason].format(opens=opens, closes=closes)
    if decision.allow and decision.visits_left is not None:
        plural = "en" if decision.visits_left != 1 else ""
        text += f" U heeft dit jaar nog {decision.visits_left} gratis bezoek{plural}."
    return text
