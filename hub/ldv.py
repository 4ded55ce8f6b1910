"""Logboek Dataverwerkingen (Logius): the data subject, its encrypted id, and the processing now running.

The subject's identifier is stored encrypted with AES-256-GCM (authenticated; a random nonce per record, the
id type as associated data) under a key derived from `ldv.subject_key`, together with a keyed index (HMAC-SHA256
under a second derived key) so that `afsprakenhub audit subject` finds one subject's records without
decrypting the others. Neither is a plain hash: without the key neither reveals nor confirms a BSN.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.bsn import passes_elfproef

if TYPE_CHECKING:
    from hub.model import Customer

#: LDV `status` values.
UNSET, OK, ERROR = "Unset", "Ok", "Error"
_FAILED_OUTCOMES = frozenset({"failed", "error", "dead"})
_SEALED_FORMAT = "v1"


@dataclass(frozen=True)
class Subject:
    """A data subject (LDV "Betrokkene"): the kind of identifier (`BSN`, `KVK`) and its value."""

    id_type: str
    value: str

    def __repr__(self) -> str:  # never the value, wherever a subject ends up printed
        return f"Subject({self.id_type}, ***)"


def subject_of_payload(payload: Mapping[str, Any] | None) -> Subject | None:
    """The customer of a stored appointment event: BSN (11-proef) first, else KvK number; None when anonymous."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    customer = data.get("customer") if isinstance(data, Mapping) else None
    if not isinstance(customer, Mapping):
        return None
    bsn, kvk = customer.get("bsn"), customer.get("kvk")
    if (by_bsn := subject_of_bsn(bsn)) is not None:
        return by_bsn
    if isinstance(kvk, str) and len(kvk) == 8 and kvk.isdigit():
        return Subject("KVK", kvk)
    return None


def subject_of_bsn(bsn: str | None) -> Subject | None:
    """A BSN (passing the 11-proef) as a data subject; None for anything else."""
    if isinstance(bsn, str) and len(bsn) == 9 and bsn.isdigit() and passes_elfproef(bsn):
        return Subject("BSN", bsn)
    return None


def subject_of_customer(customer: Customer | None) -> Subject | None:
    """The data subject of a canonical appointment's customer (`customer.bsn`, else `customer.kvk`)."""
    if customer is None:
        return None
    kvk = customer.kvk
    return subject_of_bsn(customer.bsn) or (
        Subject("KVK", kvk) if isinstance(kvk, str) and len(kvk) == 8 and kvk.isdigit() else None)


def status_of(outcome: str) -> str:
    """LDV status of an audit outcome: `Error` for a failure of the hub's own processing, else `Ok`."""
    return ERROR if outcome in _FAILED_OUTCOMES else OK


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class _Key:
    kid: str
    aead: AESGCM
    index_key: bytes


def _derive(secret: str) -> _Key:
    def hkdf(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())

    return _Key(kid=hkdf(b"afsprakenhub ldv key id").hex()[:8], aead=AESGCM(hkdf(b"afsprakenhub ldv subject aead")),
                index_key=hkdf(b"afsprakenhub ldv subject index"))


class SubjectCipher:
    """Encrypts subject ids (`v1.<key id>.<base64url nonce+ciphertext>`) and makes their keyed index."""

    def __init__(self, key: str, previous: Sequence[str] = ()) -> None:
        self._keys = [_derive(k) for k in (key, *previous)]
        self._by_kid = {k.kid: k for k in self._keys}

    def encrypt(self, subject: Subject) -> tuple[str, str]:
        """(ciphertext token, index) under the current key."""
        key = self._keys[0]
        nonce = os.urandom(12)
        sealed = key.aead.encrypt(nonce, subject.value.encode(), subject.id_type.encode())
        token = f"{_SEALED_FORMAT}.{key.kid}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"
        return token, self._index(key, subject)

    def decrypt(self, token: str, id_type: str) -> str:
        """The subject id in `token`; ValueError when no configured key opens it or it was altered."""
        version, _, rest = token.partition(".")
        kid, _, body = rest.partition(".")
        key = self._by_kid.get(kid)
        if version != _SEALED_FORMAT or key is None:
            raise ValueError("no configured key opens this record (ldv.subject_key / previous_subject_keys)")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        try:
            return key.aead.decrypt(raw[:12], raw[12:], id_type.encode()).decode()
        except InvalidTag:
            raise ValueError("the record's subject id was altered or belongs to another type") from None

    def indexes(self, subject: Subject) -> list[str]:
        """The subject's index under every configured key (records from before a key rotation too)."""
        return [self._index(k, subject) for k in self._keys]

    @staticmethod
    def _index(key: _Key, subject: Subject) -> str:
        return hmac.new(key.index_key, f"{subject.id_type}:{subject.value}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Processing:
    """A processing running now (a delivery, a job): what its records share."""

    name: str
    activity: str
    subject: Subject | None
    trace_id: str
    span_id: str
    parent_span_id: str | None
    start_time: datetime
    foreign_trace_id: str | None = None
    foreign_span_id: str | None = None
    foreign_processor: str | None = None
    #: The persons a job processed (`processed()`): one child record each, written with the job's record.
    subjects: list[Subject] = field(default_factory=list, hash=False, compare=False)
    #: The peers' own ids of what this processing did there (`peer_operation()`): one child record each.
    peer_operations: list[tuple[str, str]] = field(default_factory=list, hash=False, compare=False)


_CURRENT: ContextVar[Processing | None] = ContextVar("afsprakenhub_processing", default=None)


def current() -> Processing | None:
    return _CURRENT.get()


def processed(subject: Subject | None) -> None:
    """Note that the running job processed this person (its record gets a child record for them)."""
    processing = _CURRENT.get()
    if subject is not None and processing is not None:
        processing.subjects.append(subject)


def peer_operation(peer: str, remote_id: str) -> None:
    """Note the peer's own id (record id, event id, URL) of what the running processing did at that peer."""
    processing = _CURRENT.get()
    if processing is not None and (peer, remote_id) not in processing.peer_operations:
        processing.peer_operations.append((peer, remote_id))


def peer_uri(peer: str) -> str:
    """The LDV `foreign_operation.processor` of a peer the hub calls."""
    return f"urn:afsprakenhub:peer:{peer}"


@contextmanager
def running(processing: Processing) -> Iterator[Processing]:
    """Make `processing` the current one for the block (audit records inside it name its subject)."""
    token = _CURRENT.set(processing)
    try:
        yield processing
    finally:
        _CURRENT.reset(token)


class ProcessingLogError(Exception):
    """The processing log could not be written: the processing does not count as done (it is retried)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"processing log write failed: {type(cause).__name__}")
        self.reason = str(self)
