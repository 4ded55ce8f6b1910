"""The BRP (Haal Centraal Personen Bevragen) as a port: who is registered under a BSN."""

from __future__ import annotations

from typing import Protocol

from mappings.identity import BrpPerson


class PersonRegistry(Protocol):
    """Verifies a self-declared BSN (peer `brp`); errors: TransientError or PermanentError."""

    def raadpleeg(self, bsn: str) -> BrpPerson | None:
        """The person registered under `bsn`, or None when the BRP knows no (living) person by it."""


__all__ = ["BrpPerson", "PersonRegistry"]
