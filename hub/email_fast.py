"""A fast path for e-mail validation: plain ASCII addresses that `email_validator` always accepts."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from email_validator import SPECIAL_USE_DOMAIN_NAMES

#: Dot-atom local part of letters and digits joined by single `._+-`; host names whose labels neither start
#: nor end with `-` nor hold `--`; a letters-only top-level domain. Everything else goes to the library.
_PLAIN = re.compile(r"[A-Za-z0-9]+(?:[._+-][A-Za-z0-9]+)*@(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)+[A-Za-z]{2,63}")
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def plain_email(text: str) -> str | None:
    """`text` as `email_validator` normalises it (domain in lower case) when it is a plain address; else None."""
    local, _, domain = text.partition("@")
    if not (_PLAIN.fullmatch(text) and len(local) <= 64 and len(text) <= 254):
        return None
    host = _plain_host(domain)
    return None if host is None else f"{local}@{host}"


@lru_cache(maxsize=4096)
def _plain_host(domain: str) -> str | None:
    """The domain in lower case when its length, labels and names pass; None otherwise. Addresses share a few
    domains, so each is judged once."""
    host = domain.lower()
    labels = host.split(".")
    if len(host) > 253 or any(len(label) > 63 for label in labels):
        return None
    if not _SPECIAL_USE.isdisjoint(".".join(labels[i:]) for i in range(len(labels))):
        return None
    return host


def email_fast_path(value: object, handler: Callable[[object], str]) -> str:
    """Pydantic wrap validator in front of `EmailStr`: a plain address is accepted as is, the rest validated."""
    if isinstance(value, str):
        plain = plain_email(value)
        if plain is not None:
            return plain
    return handler(value)


__all__ = ["email_fast_path", "plain_email"]
