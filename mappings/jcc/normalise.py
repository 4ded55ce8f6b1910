"""Normalise names, initials, phone numbers, e-mail addresses and client ids from JCC (pure)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from hub.bsn import passes_elfproef
from hub.email_fast import plain_email

_INITIALS = re.compile(r"[.\s]+")
_PHONE_JUNK = re.compile(r"[\s\-().]")


def clean(value: str | None) -> str | None:
    """Trim and collapse inner whitespace; empty → None."""
    if value is None:
        return None
    # str.split splits where the regex `\s+` matches (both use str.isspace): the same text, without a regex
    return " ".join(value.split()) or None


def name(value: str | None) -> str | None:
    """A first or last name; ALL CAPS or all lower case becomes Capitalised (per word and hyphen part)."""
    text = clean(value)
    if text is None or not (text.isupper() or text.islower()):
        return text
    return " ".join("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")) for w in text.split(" "))


def prefix(value: str | None) -> str | None:
    """A last-name prefix (tussenvoegsel) in lower case: `Van der` → `van der`."""
    text = clean(value)
    return text.lower() if text else None


def initials(value: str | None) -> tuple[str | None, str | None]:
    """(initials, first name): `JP`, `j p`, `J.P.` → `J.P.`; a whole word (JCC quirk) is a first name."""
    text = clean(value)
    if text is None:
        return None, None
    letters = [p for p in _INITIALS.split(text) if p] if "." in text or " " in text else [text]  # cleaned: one space
    if len(letters) == 1 and len(letters[0]) > 2 and "." not in text:
        return f"{letters[0][0].upper()}.", name(letters[0])
    chars = [c for part in letters for c in (part if len(part) <= 2 and "." not in text else part[:1])]
    return "".join(f"{c.upper()}." for c in chars if c.isalpha()) or None, None


def phone(value: str | None) -> str | None:
    """A phone number in E.164 (`+31612345678`); None when it is not a plausible number."""
    text = clean(value)
    if text is None:
        return None
    digits = _PHONE_JUNK.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+31"):
        digits = "0" + digits[3:].removeprefix("0")
    if digits.startswith("+"):
        return digits if digits[1:].isdigit() and 8 <= len(digits) - 1 <= 15 else None
    if digits.isdigit() and len(digits) == 10 and digits.startswith("0"):
        return "+31" + digits[1:]
    return None


def email(value: str | None) -> str | None:
    """A syntactically valid e-mail address, lower case; None otherwise (no DNS look-up)."""
    return email_and_plain(value)[0]


def email_and_plain(value: str | None) -> tuple[str | None, bool]:
    """`email(value)`, and whether it is a plain address (`hub.email_fast`: the canonical model takes it as is)."""
    text = clean(value)
    if text is None:
        return None, False
    plain = plain_email(text)  # most addresses: the same answer as the library's, in microseconds
    if plain is not None:
        return plain.lower(), True
    try:
        return validate_email(text, check_deliverability=False).normalized.lower(), False
    except EmailNotValidError:
        return None, False


def bsn(client_id: str | None, *, pad: bool = True) -> tuple[str | None, bool]:
    """(BSN, valid): a numeric client id is a BSN (zero-padded to nine digits); non-numeric ids are not."""
    text = clean(client_id)
    if text is None or not text.isdigit():
        return None, True
    if pad and len(text) < 9:
        text = text.zfill(9)
    return (text, True) if passes_elfproef(text) else (None, False)


__all__ = ["bsn", "clean", "email", "email_and_plain", "initials", "name", "phone", "prefix"]
