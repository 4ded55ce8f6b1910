"""Classify RostarCAS failures (HTTP and SFTP) as transient or permanent, without content or personal data."""

from __future__ import annotations

import httpx

from connectors.ssh import asyncssh
from hub import peer_errors
from hub.errors import DeliveryError, PermanentError, TransientError

CONNECTOR = "rostarcas"



def _permanent_sftp_codes() -> set[int]:
    """SFTP status codes that retrying cannot fix (read when needed: asyncssh loads on first use)."""
    return {asyncssh.FX_PERMISSION_DENIED, asyncssh.FX_NO_SUCH_FILE, asyncssh.FX_NO_SUCH_PATH,
            asyncssh.FX_OP_UNSUPPORTED}


def http_error(call: str, response: httpx.Response) -> DeliveryError:
    """429 and 5xx are transient (Retry-After honoured); other 4xx permanent. Only status and title."""
    return peer_errors.http_error(f"{CONNECTOR} {call}", response)


def http_exception(call: str, exc: httpx.HTTPError) -> DeliveryError:
    """Timeouts and connection errors are transient; protocol misuse is permanent."""
    return peer_errors.http_exception(f"{CONNECTOR} {call}", exc)


def sftp_error(call: str, exc: BaseException) -> DeliveryError:
    """Authentication, host key and permission problems are permanent; connection trouble is transient."""
    kind = type(exc).__name__
    if isinstance(exc, asyncssh.PermissionDenied | asyncssh.HostKeyNotVerifiable):
        return PermanentError(f"{CONNECTOR} sftp {call} failed: {kind} (check credentials / known_hosts)")
    if isinstance(exc, asyncssh.SFTPError) and not isinstance(exc, asyncssh.SFTPConnectionLost):
        reason = f"{CONNECTOR} sftp {call} failed: {kind} (code {exc.code})"
        return PermanentError(reason) if exc.code in _permanent_sftp_codes() else TransientError(reason)
    if isinstance(exc, asyncssh.Error | OSError | TimeoutError | EOFError):
        return TransientError(f"{CONNECTOR} sftp {call} failed: {kind}")
    return PermanentError(f"{CONNECTOR} sftp {call} failed: unexpected {kind}")


__all__ = ["CONNECTOR", "http_error", "http_exception", "sftp_error"]
