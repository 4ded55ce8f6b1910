"""Structured logging (structlog): JSON off-terminal, personal data redacted, correlation id bound."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.contextvars import bound_contextvars, get_contextvars
from structlog.typing import EventDict, WrappedLogger

from hub.bsn import passes_elfproef

#: A BSN as nine digits, eight (the leading zero dropped), or grouped as people write it: 999 993 653,
#: 999.993.653, 9999.93.653 (same separator twice). The grouped forms are not part of a longer grouped number.
_BSN = re.compile(r"(?<!\d)\d{8,9}(?!\d)"
                  r"|(?<!\d)(?<!\d[ .\-])(?:\d{3}([ .\-])\d{3}\1\d{3}|\d{4}([ .\-])\d{2}\2\d{3}"
                  r"|\d{3}([ .\-])\d{2}\3\d{3}|\d{2}([ .\-])\d{3}\4\d{3})(?!\d)(?![ .\-]\d)")
#: Any run without spaces or delimiters before the @ (RFC 5322 atext, also non-ASCII: Jürgen@…), then a domain
#: whose labels may be internationalised and whose top-level domain starts with a letter (or is punycode).
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@[\w\-\u0300-\u036f]+(?:\.[\w\-\u0300-\u036f]+)*"
                    r"\.[^\W\d_][\w\-\u0300-\u036f]+")
#: Ten digits from the leading 0 (or +31/0031 and nine), grouped by spaces, hyphens or dots; the area code may
#: be in parentheses: (013) 123 4567, 06.12.34.56.78.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+31|0031)[\s.\-]?(?:\(0\)[\s.\-]?)?|0(?!0)[\s\-]?)(?:\d[\s.\-]?){8}\d(?!\d)"
                    r"|(?<![\w+])(?:\(0\d{2}\)[\s.\-]?(?:\d[\s.\-]?){6}\d|\(0\d{3}\)[\s.\-]?(?:\d[\s.\-]?){5}\d)(?!\d)")
#: Any other country (+32 2 123 45 67, 0049 30 1234567, +44 (0)20 7946 0958): up to 15 digits (E.164).
_FOREIGN_PHONE = re.compile(r"(?<![\w+])(?:\+|00)[1-9](?:[\s.\-]?(?:\(0\)[\s.\-]?)?\d){6,14}(?!\d)")
#: What database errors carry of a statement's values: SQLAlchemy's `[parameters: …]` line, PostgreSQL's
#: `Key (col)=(value)` and `Failing row contains (…)` details.
_DB_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
_DB_KEY_VALUE = re.compile(r"(Key \([^)\n]*\)=)\(.*?\)(?=\s+(?:already exists|is not present|conflicts with)|\.?\s*$)",
                           re.MULTILINE)
_DB_FAILING_ROW = re.compile(r"(Failing row contains )\(.*\)")
#: Third-party loggers that write message bodies at DEBUG.
_BODY_DUMPING_LOGGERS = ("zeep.transports",)
_SENSITIVE_KEYS = frozenset({"bsn", "email", "phone", "birthdate", "birth_date", "telefoonnummer",
                             "emailadres", "geboortedatum", "documentnumber", "document_number"})


def redact_text(text: str) -> str:
    """Replace BSNs (11-proef), e-mail addresses, phone numbers and database statement values in free text."""
    text = _DB_PARAMETERS.sub("[parameters: redacted]", text)
    text = _DB_KEY_VALUE.sub(r"\1(redacted)", text)
    text = _DB_FAILING_ROW.sub(r"\1(redacted)", text)
    text = _EMAIL.sub("[email]", text)
    text = _FOREIGN_PHONE.sub("[phone]", text)
    text = _PHONE.sub("[phone]", text)
    return _BSN.sub(lambda m: "[bsn]" if _is_bsn(m.group()) else m.group(), text)


def _is_bsn(written: str) -> bool:
    """Nine digits that pass the 11-proef once separators are dropped (eight: the leading zero was)."""
    digits = "".join(ch for ch in written if ch.isdigit())
    return passes_elfproef(digits.rjust(9, "0"))


def redact(value: Any) -> Any:
    """Redact recursively through mappings, lists and strings."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: ("[redacted]" if isinstance(k, str) and k.lower() in _SENSITIVE_KEYS and v not in (None, "")
                    else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact(v) for v in value]
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}")
    if isinstance(value, int) and not isinstance(value, bool) and 10**7 <= value < 10**9 and _is_bsn(str(value)):
        return "[bsn]"  # a BSN passed as a number (an int drops the leading zero of an 8-digit one)
    return value


def redaction_processor(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: every field and the message, after exceptions were rendered."""
    redacted = redact(dict(event_dict))
    assert isinstance(redacted, dict)
    return redacted


def correlation_id() -> str | None:
    value = get_contextvars().get("correlation_id")
    return str(value) if value else None


@contextmanager
def bind_correlation(correlation: str, **extra: Any) -> Iterator[None]:
    """Bind the correlation id (the CloudEvent id) to every log line and outbound request inside."""
    with bound_contextvars(correlation_id=correlation, **extra):
        yield


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redaction_processor,
    ]


def configure_logging(level: str = "INFO", fmt: str = "auto", stream: Any = None) -> None:
    """Route structlog and stdlib logging through the same redacting pipeline."""
    stream = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: Any = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_afsprakenhub", False):
            root.removeHandler(h)
    handler._afsprakenhub = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "pika", "dramatiq", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # These dump whole request and response bodies at DEBUG (SOAP envelopes with names, birth dates and
    # BSNs the text redaction cannot recognise, e.g. JCC's 8-digit ones): never below INFO.
    for dumper in _BODY_DUMPING_LOGGERS:
        logging.getLogger(dumper).setLevel(max(logging.INFO, root.level))


def outbound_headers(headers: MutableMapping[str, str]) -> None:
    """Add the current correlation id to an outbound request's headers."""
    cid = correlation_id()
    if cid:
        headers["X-Correlation-ID"] = cid
