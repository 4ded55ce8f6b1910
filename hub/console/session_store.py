"""Console sessions kept in the store: a session ends on logout, at expiry, and when its API token is revoked.

The cookie carries a random session id only (signed); the store keeps a SHA-256 of it, the operator's name, how
they logged in and, for a token login, an HMAC of the token, so a session opened with a token that is no longer
configured is refused (and removed) on its next request, on every node that shares the store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import delete, select

from hub.store.db import Database
from hub.store.tables import ConsoleSession, utcnow


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Opens, finds and ends console sessions in the hub's store."""

    def __init__(self, db: Database, secret: str) -> None:
        self.db = db
        self._key = hashlib.sha256(b"afsprakenhub-console-token:" + secret.encode()).digest()

    def fingerprint(self, token: str) -> str:
        """An HMAC of an API token: enough to recognise it, useless to log in with."""
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def open(self, operator: str, method: str, max_age_s: int, token: str | None = None) -> str:
        """A new session; returns its id (for the cookie). Expired sessions are cleared on the way."""
        session_id = secrets.token_urlsafe(32)
        now = utcnow()
        with self.db.unit_of_work() as s:
            s.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
            s.add(ConsoleSession(id_hash=_hash(session_id), operator=operator, method=method,
                                 token_fingerprint=self.fingerprint(token) if token else None, created_at=now,
                                 expires_at=now + timedelta(seconds=max_age_s)))
        return session_id

    def find(self, session_id: str, configured_tokens: Iterable[str]) -> tuple[str, str] | None:
        """(operator, method) of a live session; None when it ended, expired or its token was revoked."""
        with self.db.reading() as s:
            row = s.scalars(select(ConsoleSession).where(ConsoleSession.id_hash == _hash(session_id))).first()
            found = None if row is None else (row.operator, row.method, row.token_fingerprint, row.expires_at)
        if found is None:
            return None
        operator, method, fingerprint, expires_at = found
        if expires_at <= utcnow():
            return None
        if fingerprint is not None:
            live = [self.fingerprint(t) for t in configured_tokens]
            if not any(hmac.compare_digest(fingerprint, f) for f in live):
                self.end(session_id)  # the token was revoked: so is every session it opened
                return None
        return operator, method

    def end(self, session_id: str) -> None:
        with self.db.one_statement() as s:
            s.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == _hash(session_id)))


__all__ = ["SessionStore"]
