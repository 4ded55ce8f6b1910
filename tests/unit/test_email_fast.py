"""The e-mail fast path gives the same answer as pydantic's `EmailStr` (email_validator) on every case."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, EmailStr, ValidationError

from hub.email_fast import plain_email
from hub.model import Customer

EMAIL_CASES = ["jan@example.nl", "Jan.de.Vries@Example.NL", "a+b_c-d@sub.example-test.nl", "x@localhost",
               "x@foo.test", "x@foo.local", "x@a.invalid", "x@b.onion", "x@c.arpa", "x@example", "x@-a.nl",
               "x@a-.nl", "x@a--b.nl", "x@xn--bcher-kva.nl", "x..y@example.nl", ".x@example.nl", "x.@example.nl",
               "x@example.n", "x@example.123", "x@1.2.3.4", "x@[127.0.0.1]", "\"q\"@example.nl",
               "a" * 64 + "@example.nl", "a" * 65 + "@example.nl", "x@" + "a" * 63 + ".nl", "x@" + "a" * 64 + ".nl",
               "x@" + ".".join(["a" * 60] * 5) + ".nl", "Jan <jan@example.nl>", "jan@example.nl.", "jan@@example.nl",
               "jän@example.nl", "jan@exämple.nl", "JAN@EXAMPLE.NL", "x@ex_ample.nl", "x_@example.nl", "_x@example.nl",
               " jan@example.nl ", "jan@Sub.Test.NL", "jan@test.example.nl"]


class _Plain(BaseModel):
    email: EmailStr


def _pydantic(address: str) -> str | None:
    try:
        return _Plain(email=address).email
    except ValidationError:
        return None


@pytest.mark.parametrize("address", EMAIL_CASES)
def test_the_canonical_customer_accepts_and_normalises_as_email_str_does(address: str) -> None:
    try:
        got: str | None = Customer(email=address).email
    except ValidationError:
        got = None
    assert got == _pydantic(address)


@pytest.mark.parametrize("address", EMAIL_CASES)
def test_the_fast_path_only_answers_what_email_str_would(address: str) -> None:
    plain = plain_email(address)
    assert plain is None or plain == _pydantic(address)


def test_the_fast_path_takes_the_common_addresses() -> None:
    assert plain_email("Jan.de.Vries@Example.NL") == "Jan.de.Vries@example.nl"
    assert plain_email("x@foo.test") is None
