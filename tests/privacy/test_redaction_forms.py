"""Property tests: every way a BSN, e-mail address, phone number or statement value reaches a log is redacted."""

from __future__ import annotations

import io
import json

import pytest
import structlog
from hypothesis import assume, example, given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert
from sqlalchemy.exc import IntegrityError

from hub.bsn import passes_elfproef
from hub.logging import configure_logging, redact, redact_text
from hub.store.db import make_engine

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
words = st.text(alphabet=st.characters(categories=["L", "Zs"]), max_size=15)


@st.composite
def bsns(draw: st.DrawFn, leading_zero: bool = False) -> str:
    """A nine-digit number that passes the 11-proef (with `leading_zero`, one that starts with 0)."""
    head = [0] if leading_zero else [draw(st.integers(1, 9))]
    head += draw(st.lists(st.integers(0, 9), min_size=7, max_size=7))
    check = sum(w * d for w, d in zip(WEIGHTS, head, strict=True)) % 11
    number = "".join(map(str, head)) + str(check % 10)
    assume(check < 10 and number != "000000000")  # no check digit completes this head
    assert passes_elfproef(number)
    return number


def grouped(number: str, groups: tuple[int, ...], sep: str) -> str:
    parts, at = [], 0
    for size in groups:
        parts.append(number[at:at + size])
        at += size
    return sep.join(parts)


@example("999993653", (3, 3, 3), " ")
@example("999993653", (4, 2, 3), ".")
@given(bsns(), st.sampled_from([(3, 3, 3), (4, 2, 3)]), st.sampled_from([" ", ".", "-"]))
def test_grouped_bsns_are_redacted(number: str, groups: tuple[int, ...], sep: str) -> None:
    written = grouped(number, groups, sep)
    assert redact_text(f"bsn {written} bekend") == "bsn [bsn] bekend"


@given(bsns(leading_zero=True), st.sampled_from(["{0}", "{0[0]}{0[1]}{0[2]}.{0[3]}{0[4]}.{0[5]}{0[6]}{0[7]}"]),
       words, words)
def test_eight_digit_bsns_are_redacted(number: str, form: str, before: str, after: str) -> None:
    written = form.format(number[1:])  # the leading zero dropped, as JCC and spreadsheets write it
    assert number[1:] not in redact_text(f"{before} {written} {after}").replace(".", "")


@given(bsns(), st.sampled_from(["bsn", "customer_number", "ref"]))
def test_bsns_passed_as_integers_are_redacted(number: str, key: str) -> None:
    out = redact({key: int(number), "nested": [int(number)], "count": 3, "flag": True})
    assert str(int(number)) not in json.dumps(out)
    assert out["count"] == 3 and out["flag"] is True


@given(st.integers(10**8, 10**9 - 1))
def test_integers_that_fail_the_elfproef_are_kept(value: int) -> None:
    if not passes_elfproef(str(value)):
        assert redact({"id": value}) == {"id": value}


local_parts = st.text(alphabet=st.characters(categories=["L", "Nd"], exclude_characters="@"), min_size=1,
                      max_size=12)
labels = st.text(alphabet=st.characters(categories=["Ll", "Lu", "Lo"]), min_size=2, max_size=10)


@example("Jürgen", "example", "nl")
@example("élodie.dupont", "société", "fr")
@given(local_parts, labels, st.sampled_from(["nl", "de", "com", "рф", "xn--p1ai"]))
def test_internationalised_email_addresses_are_redacted_whole(local: str, domain: str, tld: str) -> None:
    address = f"{local}@{domain}.{tld}"
    assert redact_text(f"mail {address} terug") == "mail [email] terug"


@example(12345678, ".")  # 06.12.34.56.78
@given(st.integers(10**7, 10**8 - 1), st.sampled_from([".", " ", "-"]))
def test_dutch_mobile_numbers_in_pairs_are_redacted(number: int, sep: str) -> None:
    digits = f"06{number}"
    phone = sep.join(digits[i:i + 2] for i in range(0, 10, 2))
    assert redact_text(f"bel {phone} terug") == "bel [phone] terug"


@example("+32", "2 123 45 67")
@example("+44", "(0)20 7946 0958")
@example("0049", "30 1234567")
@given(st.sampled_from(["+32", "+49", "+44", "+1", "+352", "0032", "0049"]),
       st.lists(st.integers(10, 999), min_size=2, max_size=4).map(lambda xs: " ".join(map(str, xs))))
def test_foreign_phone_numbers_are_redacted(code: str, subscriber: str) -> None:
    """E.164: at most 15 digits with the country code."""
    if sum(ch.isdigit() for ch in subscriber) < 6:
        subscriber += " 123"
    phone = f"{code} {subscriber}"
    redacted = redact_text(f"bel {phone} terug")
    assert redacted == "bel [phone] terug"


@given(bsns(), st.sampled_from(["jan@example.nl", "0612345678"]))
def test_statement_parameters_in_database_errors_are_redacted(number: str, other: str) -> None:
    message = (f"(psycopg.errors.UniqueViolation) duplicate key\nDETAIL:  Key (ref)=({number}-x) already exists.\n"
               f"[SQL: INSERT INTO t (ref, note) VALUES (%(ref)s, %(note)s)]\n"
               f"[parameters: {{'ref': 'K{number}x', 'note': 'Naam Achternaam {other}'}}]\n"
               "(Background on this error at: https://sqlalche.me/e/20/gkpj)")
    out = redact_text(message)
    assert number not in out and other not in out and "Achternaam" not in out
    assert "Key (ref)=(redacted)" in out and "[SQL: INSERT INTO t" in out


def _integrity_error(engine_url: str, value: str, *, hub_engine: bool) -> IntegrityError:
    engine = make_engine(engine_url) if hub_engine else create_engine(engine_url)
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("name", String, unique=True))
    table.metadata.create_all(engine)
    with pytest.raises(IntegrityError) as caught:
        with engine.begin() as conn:
            conn.execute(insert(table).values(name=value))
            conn.execute(insert(table).values(name=value))
    engine.dispose()
    return caught.value


@pytest.mark.parametrize("hub_engine", [True, False], ids=["hub-engine", "plain-engine"])
def test_a_logged_database_error_carries_no_statement_values(hub_engine: bool, tmp_path: object) -> None:
    secret = "Achternaam-999993653"  # a name and a BSN, in a value no regular expression recognises whole
    error = _integrity_error(f"sqlite:///{tmp_path}/t.db", secret, hub_engine=hub_engine)
    if hub_engine:  # the hub's engines never put values into their errors at all
        assert "Achternaam" not in str(error)
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    try:
        raise error
    except IntegrityError:
        structlog.get_logger("test").exception("store_failed", error=error)
    text = stream.getvalue()
    assert "Achternaam" not in text and "999993653" not in text
    assert "IntegrityError" in text
