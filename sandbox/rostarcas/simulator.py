"""`RostarcasSimulator`: RostarCAS's roster export on loopback — the JSON endpoint and the CSV file drop.

    GET {prefix}/api/v1/roster?from=YYYY-MM-DD&to=YYYY-MM-DD[&cursor=N&limit=M]   (bearer or basic auth)
    sim.set_roster(entries)            # a new export (generatedAt moves on)
    sim.drop_csv(folder)               # write the current export as rooster_<time>.csv into a folder
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Header, Query

from sandbox.faults import Faults
from sandbox.framework import Simulator
from sandbox.problems import Problem
from sandbox.rostarcas.roster import RosterEntry, file_name, to_csv

API_PREFIX = "/api/v1"
ZONE = ZoneInfo("Europe/Amsterdam")
DEFAULT_TOKEN = "sandbox-rostarcas-token"  # noqa: S105 - a loopback simulator's fixed credential
DEFAULT_USERNAME, DEFAULT_PASSWORD = "afsprakenhub", "sandbox-rostarcas-password"


class RostarcasSimulator(Simulator):
    """Serves one roster export; `set_roster` replaces it (a roster that changes during the demo)."""

    api_version = "1.0"

    def __init__(self, *, prefix: str = "/rostarcas", seed: int = 0, faults: Faults | None = None,
                 token: str = DEFAULT_TOKEN, username: str = DEFAULT_USERNAME, password: str = DEFAULT_PASSWORD,
                 page_size: int = 500) -> None:
        super().__init__("rostarcas", prefix, seed=seed, faults=faults)
        self.token, self.username, self.password = token, username, password
        self.page_size = page_size
        self.lock = threading.Lock()
        self.entries: list[RosterEntry] = []
        self.raw_items: list[Any] = []
        self.generated_at = datetime(2000, 1, 1, tzinfo=ZONE)
        self._add_routes()

    # -- the roster ----------------------------------------------------------------------------
    def set_roster(self, entries: Sequence[RosterEntry], *, raw_items: Sequence[Any] = (),
                   generated_at: datetime | None = None) -> datetime:
        """Publish a new export; `raw_items` are served verbatim after the entries (to plant bad items)."""
        with self.lock:
            self.entries = list(entries)
            self.raw_items = list(raw_items)
            now = generated_at or datetime.now(ZONE).replace(microsecond=0)
            if generated_at is None and now <= self.generated_at:
                now = self.generated_at + timedelta(seconds=1)
            self.generated_at = now
            return now

    def export_json(self, from_: date | None = None, to: date | None = None) -> dict[str, Any]:
        with self.lock:
            items = [e.json() for e in self.entries if (from_ is None or e.day >= from_) and (to is None or e.day < to)]
            return {"generatedAt": self.generated_at.isoformat(), "timeZone": ZONE.key,
                    "shifts": [*items, *self.raw_items], "next": None}

    def export_csv(self, extra_lines: Sequence[str] = ()) -> tuple[str, bytes]:
        """The current roster as a CSV export: (file name, bytes)."""
        with self.lock:
            return file_name(self.generated_at.astimezone(ZONE)), to_csv(self.entries, extra_lines)

    def drop_csv(self, folder: Path, extra_lines: Sequence[str] = ()) -> Path:
        """Write the current export into `folder` the way RostarCAS does (temporary name, then rename)."""
        name, data = self.export_csv(extra_lines)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (name + ".part")
        tmp.write_bytes(data)
        tmp.replace(folder / name)
        return folder / name

    def describe(self) -> dict[str, str]:
        base = self.base_url or self.prefix
        return {"url": f"{base}{API_PREFIX}/roster", "token": self.token, "username": self.username,
                "password": self.password}

    # -- HTTP ------------------------------------------------------------------------------------
    def _authorized(self, authorization: str | None) -> bool:
        if not authorization:
            return False
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return secrets.compare_digest(value.strip(), self.token)
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return secrets.compare_digest(user, self.username) and secrets.compare_digest(password, self.password)
        return False

    def _add_routes(self) -> None:
        @self.app.get(f"{API_PREFIX}/roster", tags=["roster"])
        def get_roster(
            from_: Annotated[date, Query(alias="from")],
            to: Annotated[date, Query()],
            cursor: Annotated[int, Query(ge=0)] = 0,
            limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
            authorization: Annotated[str | None, Header()] = None,
        ) -> dict[str, Any]:
            if not self._authorized(authorization):
                raise Problem(401, "valid bearer or basic credentials are required", code="unauthorized",
                              headers={"WWW-Authenticate": 'Bearer realm="rostarcas", Basic realm="rostarcas"'})
            if to <= from_:
                raise Problem(400, "`to` must be after `from`", code="invalid-range")
            body = self.export_json(from_, to)
            size = limit or self.page_size
            items = body["shifts"]
            page = items[cursor:cursor + size]
            more = cursor + size < len(items)
            nxt = "?" + urlencode({"from": from_.isoformat(), "to": to.isoformat(), "cursor": cursor + size,
                                   "limit": size}) if more else None
            return {**body, "shifts": page, "next": nxt}




__all__ = ["API_PREFIX", "DEFAULT_PASSWORD", "DEFAULT_TOKEN", "DEFAULT_USERNAME", "RostarcasSimulator"]
