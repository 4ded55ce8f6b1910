"""The delivery protocol against the loopback SFTP server and HTTPS receiver (offline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.kcm import HttpsTransport, KcmClient, KcmSettings, SftpTransport, sha256_hex
from sandbox.kcm import KcmReceiver
from sandbox.server import SandboxServer
from sandbox.sftp import SftpServer, generate_client_key

NAME = "kcm_uitnodigingen_tilburg_20270301.csv"
CONTENT = b"record_id;email\r\nV1;klant@example.nl\r\n"


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, str]:
    private, public = generate_client_key()
    path = tmp_path / "id_ed25519"
    path.write_text(private)
    path.chmod(0o600)
    return path, public


@pytest.fixture
def sftp(tmp_path: Path, keys: tuple[Path, str]) -> Iterator[SftpServer]:
    (tmp_path / "root" / "upload").mkdir(parents=True)
    with SftpServer(tmp_path / "root", username="afsprakenhub", authorized_keys=[keys[1]]) as server:
        yield server


def test_sftp_uses_key_auth_known_hosts_and_temp_then_rename(contract: dict[str, Any], sftp: SftpServer,
                                                             keys: tuple[Path, str], tmp_path: Path) -> None:
    agreed = contract["delivery"]["sftp"]
    settings = KcmSettings(port=sftp.port, password=None, private_key_path=str(keys[0]),
                           known_hosts_path=str(sftp.write_known_hosts(tmp_path / "known_hosts")),
                           remote_folder=agreed["folder"])
    receipt = KcmClient(SftpTransport(settings)).deliver(NAME, CONTENT)
    assert receipt.sha256 == sha256_hex(CONTENT)
    part = f"upload/{NAME}{agreed['temporary_suffix']}"
    assert [(o.kind, o.path, o.target) for o in sftp.operations] == [("open-write", part, None),
                                                                     ("rename", part, f"upload/{NAME}")]
    assert sftp.read_file(f"upload/{NAME}") == CONTENT


def test_sftp_refuses_an_unknown_host_key(sftp: SftpServer, keys: tuple[Path, str], tmp_path: Path) -> None:
    other = SftpServer(tmp_path / "other", password="x")  # a different host key, never started
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sftp.port} " + other.host_key.export_public_key("openssh").decode())
    settings = KcmSettings(port=sftp.port, password=None, private_key_path=str(keys[0]), known_hosts_path=str(known))
    from hub.errors import PermanentError

    with pytest.raises(PermanentError, match="kcm sftp"):
        KcmClient(SftpTransport(settings), max_attempts=1).deliver(NAME, CONTENT)
    assert sftp.operations == []


def test_listing_the_drop_folder_writes_nothing(sftp: SftpServer, keys: tuple[Path, str]) -> None:
    (sftp.root / "upload" / "earlier.csv").write_bytes(b"x")
    settings = KcmSettings(port=sftp.port, password=None, private_key_path=str(keys[0]))
    files = KcmClient(SftpTransport(settings)).list_files()
    assert [f.name for f in files] == ["earlier.csv"] and sftp.operations == []


def test_https_put_with_bearer_and_content_digest(contract: dict[str, Any], tmp_path: Path) -> None:
    agreed = contract["delivery"]["https"]
    receiver = KcmReceiver(tmp_path / "drop")
    with SandboxServer(receiver):
        settings = KcmSettings(delivery="https", upload_url=receiver.upload_url)
        KcmClient(HttpsTransport(settings)).deliver(NAME, CONTENT)
        [call] = receiver.calls.all()
        assert call.method == agreed["method"] and call.path == f"/api/v1/files/{NAME}"
        assert call.headers["content-type"] == agreed["content_type"]
        assert call.headers["content-digest"].startswith("sha-256=:")
        assert receiver.read(NAME) == CONTENT
