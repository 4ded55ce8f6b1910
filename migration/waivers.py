"""The waiver file: discrepancies operations have accepted, by JCC appointment id, each with a reason.

```yaml
waivers:
  - appointment: "100001"        # JCC appID (or the externalId jcc:100001)
    kind: rejected                # rejected (default), source-mismatch, missing, unexpected, mismatched,
                                  # duplicate, or "*"
    reason: "Uittreksel BS is no longer booked by appointment; customer informed by KCC"
```
A waiver without a real reason (empty or TODO) is refused, so nothing is explained by accident.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mappings.jcc.mapping import EXTERNAL_ID_PREFIX

Kind = Literal["rejected", "missing", "unexpected", "mismatched", "duplicate", "source-mismatch", "*"]


class Waiver(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    appointment: str = Field(min_length=1)
    kind: Kind = "rejected"
    reason: str = Field(min_length=3)

    @field_validator("appointment", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        return str(value).strip().removeprefix(EXTERNAL_ID_PREFIX)

    @field_validator("reason")
    @classmethod
    def _real_reason(cls, value: str) -> str:
        if value.strip().upper().startswith("TODO"):
            raise ValueError("write the reason the discrepancy is accepted (not TODO)")
        return value.strip()


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waivers: list[Waiver] = Field(default_factory=list)


class Waivers:
    """Look-up of waivers by (appointment, kind)."""

    def __init__(self, waivers: list[Waiver] | None = None) -> None:
        self._by_key: dict[tuple[str, str], Waiver] = {(w.appointment, w.kind): w for w in waivers or ()}

    def __len__(self) -> int:
        return len(self._by_key)

    def find(self, app_id: str, kind: str) -> Waiver | None:
        return self._by_key.get((app_id, kind)) or self._by_key.get((app_id, "*"))

    @classmethod
    def load(cls, path: Path | None) -> Waivers:
        """Read and validate a waiver file (no file: no waivers)."""
        if path is None:
            return cls()
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
        try:
            return cls(WaiverFile.model_validate(raw).waivers)
        except ValidationError as exc:
            problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
            raise ValueError(f"waiver file {path}: " + "; ".join(problems[:10])) from None


def template(rows: list[tuple[str, str, str]]) -> str:
    """A waiver file to fill in for (appointment, kind, what) rows; each reason starts as TODO."""
    entries = [{"appointment": app, "kind": kind, "reason": f"TODO ({what})"} for app, kind, what in rows]
    return yaml.safe_dump({"waivers": entries}, sort_keys=False, allow_unicode=True)


__all__ = ["Waiver", "WaiverFile", "Waivers", "template"]
