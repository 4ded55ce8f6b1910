"""What the KCM drop folder answers: files and delivery receipts."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel


class RemoteFile(BaseModel):
    """A file in the drop folder; `sha256` when the protocol tells (HTTPS) or it was read back."""

    name: str
    size: int
    sha256: str | None = None


class Receipt(BaseModel):
    """A completed delivery: the file is complete under its final name."""

    name: str
    size: int
    sha256: str


def sha256_hex(content: bytes) -> str:
    """The checksum KCM files are compared by (lowercase hex SHA-256)."""
    return hashlib.sha256(content).hexdigest()
