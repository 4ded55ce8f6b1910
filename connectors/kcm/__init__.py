"""Connector for KCM (Klant Contact Monitor): delivers survey invitation files by SFTP or HTTPS upload.

`KcmClient.from_settings(KcmSettings)` picks the protocol. `register_peer()` adds the peer `kcm` to
`hub.bootstrap.PEER_FACTORIES`; the surveys flow calls it (it cannot run here: hub.settings imports
this package's settings module while hub.bootstrap is still loading).
"""

from __future__ import annotations

from connectors.kcm.client import KcmClient
from connectors.kcm.errors import CONNECTOR
from connectors.kcm.https import HttpsTransport, content_digest
from connectors.kcm.models import Receipt, RemoteFile
from connectors.kcm.settings import KcmSettings
from connectors.kcm.sftp import SftpTransport
from connectors.kcm.transport import PART_SUFFIX, Transport, sha256_hex


def register_peer() -> None:
    """Make `hub.peers.kcm` available (idempotent)."""
    from hub.bootstrap import PEER_FACTORIES

    PEER_FACTORIES.setdefault(CONNECTOR, lambda s: KcmClient.from_settings(s.kcm))


__all__ = [
    "CONNECTOR",
    "PART_SUFFIX",
    "HttpsTransport",
    "KcmClient",
    "KcmSettings",
    "Receipt",
    "RemoteFile",
    "SftpTransport",
    "Transport",
    "content_digest",
    "register_peer",
    "sha256_hex",
]
