"""The pass list as a database view (the waste team's system): columns `pasnummer`, `status`, `bezoeken`."""

from __future__ import annotations

import re

from pydantic import ValidationError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from connectors.passes.models import PassList, PassRecord, parse_status
from connectors.passes.settings import PassListSettings
from hub.errors import PermanentError, TransientError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class ViewPassSource:
    """Rows of `view_name` at `view_url` (any SQLAlchemy URL: PostgreSQL, Oracle, SQLite, …)."""

    name = "view"

    def __init__(self, settings: PassListSettings) -> None:
        if settings.view_url is None:
            raise PermanentError("passes.view_url is not set")
        if not _NAME.match(settings.view_name):
            raise PermanentError("passes.view_name must be a plain (schema.)name")
        self.settings = settings

    def fetch(self) -> PassList:
        assert self.settings.view_url is not None
        engine = create_engine(self.settings.view_url.get_secret_value())
        passes: list[PassRecord] = []
        problems: list[str] = []
        try:
            with engine.connect() as conn:
                rows = conn.execute(text(f"SELECT pasnummer, status, bezoeken FROM {self.settings.view_name}"))
                for index, (number, status, used) in enumerate(rows, start=1):
                    try:
                        passes.append(PassRecord(pass_number=str(number), status=parse_status(str(status)),
                                                 visits_used=int(used or 0)))
                    except (ValueError, ValidationError):
                        problems.append(f"{self.settings.view_name} row {index}: refused")
        except SQLAlchemyError as exc:
            raise TransientError(f"pass list view unreachable: {type(exc).__name__}") from None
        finally:
            engine.dispose()
        return PassList(source=self.settings.view_name, passes=passes, problems=problems)
