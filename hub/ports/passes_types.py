"""One row of the pass list as the sources deliver it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

#: How sources spell a pass's status; anything else is refused with the row's line number.
STATUS_WORDS: dict[str, Literal["valid", "void"]] = {
    "geldig": "valid", "valid": "valid", "actief": "valid",
    "vervallen": "void", "ongeldig": "void", "void": "void", "geblokkeerd": "void",
}


class PassRecord(BaseModel):
    """A pass (milieupas): its number, valid or void, and visits already used this year elsewhere."""

    pass_number: str = Field(min_length=1, max_length=100)
    status: Literal["valid", "void"]
    visits_used: int = Field(default=0, ge=0)

    @field_validator("pass_number")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class PassList(BaseModel):
    """What a source read: the passes, where from, and the rows it refused."""

    source: str
    passes: list[PassRecord]
    problems: list[str] = Field(default_factory=list)


def parse_status(word: str) -> Literal["valid", "void"]:
    """`geldig`/`valid` → valid, `vervallen`/`void`/… → void; ValueError otherwise."""
    try:
        return STATUS_WORDS[word.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown pass status {word.strip()[:20]!r}") from None
