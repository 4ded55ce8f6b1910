"""`KcmReceiver`: KCM's upload endpoint. `PUT {prefix}/api/v1/files/{name}` stores a file whole or not at all.

The body must match its `Content-Digest` (sha-256); it is written to a temporary name and renamed, so a
cut-off or corrupted upload never appears under the final name. `GET {prefix}/api/v1/files` lists files.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from sandbox.faults import Faults
from sandbox.framework import Simulator
from sandbox.problems import Problem

DEFAULT_TOKEN = "sandbox-kcm-token"  # noqa: S105 - a loopback simulator's fixed credential
API_PREFIX = "/api/v1"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.csv$")
_DIGEST = re.compile(r"sha-256=:([A-Za-z0-9+/=]+):")


class KcmReceiver(Simulator):
    """The KCM upload receiver; files land in `root` (a temporary folder unless given)."""

    api_version = "1.0.0"

    def __init__(self, root: Path | None = None, *, prefix: str = "/kcm", token: str = DEFAULT_TOKEN,
                 seed: int = 0, faults: Faults | None = None) -> None:
        super().__init__("kcm", prefix, seed=seed, faults=faults)
        self.root = Path(root or tempfile.mkdtemp(prefix="kcm-drop-")).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.token = token
        self._routes()

    @property
    def upload_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}/files"

    def describe(self) -> dict[str, str]:
        return {"url": self.upload_url if self.base_url else self.prefix, "token": self.token,
                "folder": str(self.root)}

    def files(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_file() and not p.name.startswith("."))

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def _check_auth(self, request: Request) -> None:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            raise Problem(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    def _routes(self) -> None:
        @self.app.put(f"{API_PREFIX}/files/{{name}}", status_code=201)
        async def put_file(name: str, request: Request) -> JSONResponse:
            self._check_auth(request)
            if not _NAME.match(name):
                raise Problem(400, "file name must be a plain name ending in .csv", code="invalid-name")
            match = _DIGEST.search(request.headers.get("content-digest", ""))
            if not match:
                raise Problem(400, "Content-Digest with sha-256 is required", code="digest-required")
            body = await request.body()
            if not hmac.compare_digest(base64.b64decode(match.group(1)), hashlib.sha256(body).digest()):
                raise Problem(400, "the body does not match its Content-Digest (incomplete upload?)",
                              code="digest-mismatch")
            part = self.root / f".{name}.part"
            part.write_bytes(body)
            os.replace(part, self.root / name)
            return JSONResponse({"name": name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()},
                                status_code=201)

        @self.app.get(f"{API_PREFIX}/files")
        def list_files(request: Request) -> list[dict[str, Any]]:
            self._check_auth(request)
            return [{"name": n, "size": (self.root / n).stat().st_size,
                     "sha256": hashlib.sha256(self.read(n)).hexdigest()} for n in self.files()]
