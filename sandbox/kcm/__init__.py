"""KCM on loopback: an HTTPS(-style) upload receiver; the SFTP drop folder is `sandbox.sftp.SftpServer`."""

from __future__ import annotations

from sandbox.kcm.receiver import DEFAULT_TOKEN, KcmReceiver

__all__ = ["DEFAULT_TOKEN", "KcmReceiver"]
