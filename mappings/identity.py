"""Which of a customer's identifiers may decide whose customer view a contact moment lands in.

Pure. A BSN or KvK number proves an identity only when the customer authenticated (DigiD for a BSN,
eHerkenning for a KvK number) or an employee checked an identity document; a self-declared one may have
been typed by someone else, or with a typo that still passes the 11-proef. Such a BSN counts only after
the BRP confirmed that it belongs to the person named (`brp_confirms`).
"""

from __future__ import annotations

import unicodedata
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from hub.model import Customer, Identification

#: Which identifier each level vouches for.
_VOUCHES: dict[Identification, frozenset[str]] = {
    Identification.DIGID: frozenset({"bsn"}),
    Identification.EHERKENNING: frozenset({"kvk"}),
    Identification.VERIFIED_AT_COUNTER: frozenset({"bsn", "kvk"}),
    Identification.SELF_DECLARED: frozenset(),
}


class Trust(StrEnum):
    """How the customer's identity was established for one delivery."""

    AUTHENTICATED = "authenticated"  # the level vouches for the BSN/KvK
    BRP_VERIFIED = "brp-verified"  # a self-declared BSN the BRP confirmed for this name and birth date
    SELF_DECLARED = "self-declared"  # nothing proven: conservative match or the review queue


class TrustedKeys(BaseModel):
    """The identifiers that may decide the match (None: not proven)."""

    model_config = ConfigDict(frozen=True)

    trust: Trust
    bsn: str | None = None
    kvk: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.bsn or self.kvk)


def trusted_keys(customer: Customer) -> TrustedKeys:
    """The BSN/KvK the identification level vouches for; a self-declared customer gets none."""
    vouched = _VOUCHES[customer.identified_by]
    bsn = customer.bsn if "bsn" in vouched else None
    kvk = customer.kvk if "kvk" in vouched else None
    if bsn or kvk:
        return TrustedKeys(trust=Trust.AUTHENTICATED, bsn=bsn, kvk=kvk)
    return TrustedKeys(trust=Trust.SELF_DECLARED)


def brp_verified(customer: Customer) -> TrustedKeys:
    """The keys once the BRP confirmed the customer's self-declared BSN."""
    return TrustedKeys(trust=Trust.BRP_VERIFIED, bsn=customer.bsn)


class BrpPerson(BaseModel):
    """What the hub asks the BRP about one BSN: the name and the birth date."""

    model_config = ConfigDict(frozen=True)

    bsn: str
    first_names: str | None = None
    prefix: str | None = None
    last_name: str | None = None
    birth_date: date | None = None


def _plain(text: str | None) -> str:
    """Lower case without accents or extra spaces, so 'Özdemir ' and 'ozdemir' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace("-", " ").split())


def brp_confirms(customer: Customer, person: BrpPerson) -> bool:
    """True when the BRP's person for this BSN has the customer's birth date and last name (and first name,
    or initials, when the customer gave one); anything missing on either side confirms nothing."""
    if person.bsn != customer.bsn or customer.birth_date is None or person.birth_date != customer.birth_date:
        return False
    if not customer.last_name or not person.last_name:
        return False
    given = _plain(" ".join(p for p in (customer.last_name_prefix, customer.last_name) if p))
    registered = _plain(" ".join(p for p in (person.prefix, person.last_name) if p))
    if given not in (registered, _plain(person.last_name)):
        return False
    first_names = _plain(person.first_names).split()
    if customer.first_name:
        return bool(first_names) and _plain(customer.first_name).split()[0] == first_names[0]
    if customer.initials:
        initials = [c for c in _plain(customer.initials) if c.isalpha()]
        return initials == [n[0] for n in first_names][: len(initials)] and bool(initials)
    return True
