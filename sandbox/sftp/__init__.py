"""An SFTP server on loopback (asyncssh) for tests and the demo: `SftpServer(root, password=...).start()`.

Reusable by any flow that delivers or fetches files by SFTP (KCM surveys, the RostarCAS roster, …).
"""

from __future__ import annotations

from sandbox.sftp.server import SftpServer, generate_client_key

__all__ = ["SftpServer", "generate_client_key"]
