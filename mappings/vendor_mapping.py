"""What the register vendor mappings share (pure): the mapping error and small value helpers."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError


class MappingError(ValueError):
    """A vendor value that does not fit the canonical model (or back); `field` names it, never the value."""

    def __init__(self, reason: str, field: str) -> None:
        super().__init__(reason)
        self.field = field


def text(value: str | None) -> str | None:
    """Stripped text; empty or whitespace-only becomes None (vendors leave fields blank or absent)."""
    value = (value or "").strip()
    return value or None


def mapping_error(exc: ValidationError, source_fields: Mapping[str, str]) -> MappingError:
    """The canonical model refused a value: name the vendor's field it came from (`source_fields`), else the path."""
    err = exc.errors()[0]
    path = ".".join(str(p) for p in err["loc"]) or "body"
    field = next((src for canon, src in source_fields.items() if path == canon or path.startswith(canon + ".")),
                 path)
    return MappingError(f"field {field}: {err['type']}", field)


__all__ = ["MappingError", "mapping_error", "text"]
