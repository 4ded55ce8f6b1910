"""One-line CLI errors for a store or broker that cannot be opened: the URL (password hidden), the cause, what to do."""

from __future__ import annotations

import logging
import sys
import traceback
from urllib.parse import urlsplit, urlunsplit

#: Set by `afsprakenhub --debug` (or a DEBUG log level): print the traceback under the one line.
DEBUG = {"on": False}

STORE_SETTING = "AFSPRAKENHUB_DATABASE_URL"
BROKER_SETTING = "AFSPRAKENHUB_BROKER_URL"


class Unavailable(Exception):
    """The store or the broker could not be opened; `str()` is the one line for the operator."""


def hide_password(url: str) -> str:
    """`url` with any password replaced by `***` (user, host, port and path kept)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("@", 1)[-1] if "@" in url else url
    if not password:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    text = str(orig if orig is not None else exc).strip() or type(exc).__name__
    return text.splitlines()[0].strip().rstrip(".")


def store_problem(exc: BaseException, url: str) -> Unavailable:
    """The one line for a store `url` that could not be opened because of `exc`."""
    from sqlalchemy import exc as sa

    if isinstance(exc, ModuleNotFoundError | ImportError):
        name = getattr(exc, "name", None) or _first_line(exc)
        cause = f"its database driver {name!r} is not installed"
        todo = ("Install the driver in this environment (PostgreSQL: pip install 'afsprakenhub[postgres]'), "
                "or use sqlite:///… or postgresql+psycopg://….")
    elif isinstance(exc, sa.NoSuchModuleError):
        cause = f"{url.split(':', 1)[0]!r} is not a kind of database SQLAlchemy knows"
        todo = "Use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB."
    elif isinstance(exc, sa.ArgumentError | ValueError):
        cause = "this is not a database URL"
        todo = "Use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB."
    else:
        cause = _first_line(exc)
        low = cause.lower()
        if "does not exist" in low:
            todo = "Create the database (e.g. createdb NAME) or fix the name."
        elif "password" in low or "authentication" in low or "role" in low:
            todo = "Check the user and password."
        elif "unable to open database file" in low:
            todo = "Check that the folder exists and is writable."
        else:
            todo = "Is the database server running and reachable from here?"
    return Unavailable(f"cannot open the store {hide_password(url)}: {cause}. {todo} Setting: {STORE_SETTING}")


def broker_problem(exc: BaseException, url: str) -> Unavailable:
    """The one line for a broker `url` that could not be reached because of `exc`."""
    if isinstance(exc, ValueError):
        cause, todo = _first_line(exc), "Use stub, redis://HOST:6379/0 or amqp://USER@HOST:5672/."
    else:
        cause = _first_line(exc)
        kind = "RabbitMQ" if url.startswith("amqp") else "Redis"
        todo = f"Is {kind} running and reachable from here?"
    return Unavailable(f"cannot reach the broker {hide_password(url)}: {cause}. {todo} Setting: {BROKER_SETTING}")


def probe_broker(broker: object) -> None:
    """Raise the broker's own error unless it answers (Redis: PING; RabbitMQ: open a connection).

    pika logs each failed connection attempt at ERROR; those lines are held back here unless --debug."""
    pika_log = logging.getLogger("pika")
    level = pika_log.level
    if not DEBUG["on"]:
        pika_log.setLevel(logging.CRITICAL)
    try:
        client = getattr(broker, "client", None)
        if client is not None:
            client.ping()
        elif hasattr(broker, "parameters"):
            _ = broker.connection  # type: ignore[attr-defined]
    finally:
        pika_log.setLevel(level)


def report(problem: Unavailable, cause: BaseException | None = None) -> None:
    """Print the one line on stderr; under --debug the traceback of `cause` first."""
    if DEBUG["on"] and cause is not None:
        traceback.print_exception(cause, file=sys.stderr)
    hint = "" if DEBUG["on"] else " (--debug shows the traceback)"
    sys.stderr.write(f"error: {problem}{hint}\n")
