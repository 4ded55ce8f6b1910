"""HTTPS delivery: `PUT {upload_url}/{name}` with a `Content-Digest`; the receiver stores it whole or not at all."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import httpx

from connectors.kcm.errors import http_error, http_exception
from connectors.kcm.models import Receipt, RemoteFile
from connectors.kcm.settings import KcmSettings
from hub.logging import outbound_headers
from hub.outbound import http_client


def content_digest(content: bytes) -> str:
    """RFC 9530 `Content-Digest` value for SHA-256."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(content).digest()).decode() + ":"


class HttpsTransport:
    """The KCM upload endpoint (bearer token). The receiver writes a temporary file and renames it
    only after the body is complete and matches the digest, so a cut-off upload leaves nothing."""

    name = "https"

    def __init__(self, settings: KcmSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.base = settings.upload_url.rstrip("/")
        self.http = client or http_client("kcm", timeout=settings.timeout_seconds,
                                          verify=settings.ca_bundle_path or True)

    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.settings.upload_token.get_secret_value()}"}
        outbound_headers(headers)
        return headers

    def _send(self, call: str, method: str, url: str, *, content: bytes | None = None,
              headers: dict[str, str] | None = None) -> httpx.Response:
        try:
            response = self.http.request(method, url, content=content, headers={**self._headers(), **(headers or {})})
        except httpx.HTTPError as exc:
            raise http_exception(call, exc) from None
        if response.status_code >= 400:
            raise http_error(call, response)
        return response

    def put(self, name: str, content: bytes) -> Receipt:
        response = self._send("upload", "PUT", f"{self.base}/{quote(name)}", content=content,
                              headers={"Content-Type": "text/csv; charset=utf-8",
                                       "Content-Digest": content_digest(content)})
        return Receipt.model_validate(response.json())

    def list_files(self) -> list[RemoteFile]:
        response = self._send("list", "GET", self.base)
        return [RemoteFile.model_validate(item) for item in response.json()]

    def checksum(self, name: str) -> str | None:
        return next((f.sha256 for f in self.list_files() if f.name == name), None)

    def close(self) -> None:
        self.http.close()
