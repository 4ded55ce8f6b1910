"""Connector for KCM (Klant Contact Monitor): delivers survey invitation files by SFTP or HTTPS upload.

`KcmClient.from_settings(KcmSettings)` picks the protocol. Importing this package registers the peer
`kcm` in `hub.peers`.
"""

from __future__ import annotations

from connectors.kcm.client import KcmClient
from connectors.kcm.errors import CONNECTOR
from connectors.kcm.https import HttpsTransport, content_digest
from connectors.kcm.models import Receipt, RemoteFile
from connectors.kcm.settings import KcmSettings
from connectors.kcm.sftp import SftpTransport
from connectors.kcm.transport import PART_SUFFIX, Transport, sha256_hex
from hub.peers import register_peer

register_peer(CONNECTOR, lambda s: KcmClient.from_settings(s.kcm))

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
    "sha256_hex",
]
