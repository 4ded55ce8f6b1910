"""A private Azurite (Azure Storage emulator) for the data platform tests, or a skip that says why."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Azurite's documented development account key (public; the emulator accepts only this one).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass(frozen=True)
class Azurite:
    port: int
    container: str

    @property
    def blob_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
                f"BlobEndpoint={self.blob_url}/{ACCOUNT};")

    def target(self, path: str) -> str:
        return f"abfss://{self.container}@{ACCOUNT}.dfs.core.windows.net/{path}"

    def blobs(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        """(name, content) of every blob under prefix (for the privacy scan)."""
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient.from_connection_string(self.connection_string)
        container = service.get_container_client(self.container)
        for blob in container.list_blobs(name_starts_with=prefix):
            yield blob.name, container.download_blob(blob.name).readall()


def azurite_binary() -> str | None:
    """AFSPRAKENHUB_TEST_AZURITE, the copy `.ci/run` installs, or `azurite-blob` on the PATH."""
    candidates = [os.environ.get("AFSPRAKENHUB_TEST_AZURITE"), str(ROOT / ".ci/node/node_modules/.bin/azurite-blob"),
                  shutil.which("azurite-blob")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _with_container(port: int) -> Azurite:
    from azure.storage.blob import BlobServiceClient

    azurite = Azurite(port, f"datalake-{uuid.uuid4().hex[:12]}")
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container(azurite.container)
    return azurite


def start_azurite(folder: Path) -> Iterator[Azurite]:
    """The Azurite `.ci/run` started (AFSPRAKENHUB_TEST_AZURITE_URL), else a private one on a free port."""
    running = os.environ.get("AFSPRAKENHUB_TEST_AZURITE_URL")
    if running:
        port = int(running.rstrip("/").rsplit(":", 1)[1])
        if _accepts(port):
            yield _with_container(port)
            return
    binary = azurite_binary()
    if binary is None:
        pytest.skip("Azurite not installed: `.ci/run` installs it (npm azurite), or set AFSPRAKENHUB_TEST_AZURITE "
                    "to an azurite-blob binary")
    port = _free_port()
    proc = subprocess.Popen([binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(folder),
                             "--skipApiVersionCheck", "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not _accepts(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Azurite did not start: {proc.stderr.read() if proc.stderr else b''!r}")
            time.sleep(0.1)  # polling a port: no event to wait on across processes
        yield _with_container(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a throw-away emulator in a temp folder: nothing to lose
            proc.kill()
            proc.wait(timeout=60)
        if proc.stderr is not None:
            proc.stderr.close()
