"""Classify RostarCAS failures (HTTP and SFTP) as transient or permanent, without content or personal data."""

from __future__ import annotations

import httpx

from connectors.foundation import sftp
from hub import peer_errors
from hub.errors import DeliveryError

CONNECTOR = "rostarcas"



def http_error(call: str, response: httpx.Response) -> DeliveryError:
    """429 and 5xx are transient (Retry-After honoured); other 4xx permanent. Only status and title."""
    return peer_errors.http_error(f"{CONNECTOR} {call}", response)


def http_exception(call: str, exc: httpx.HTTPError) -> DeliveryError:
    """Timeouts and connection errors are transient; protocol misuse is permanent."""
    return peer_errors.http_exception(f"{CONNECTOR} {call}", exc)


def sftp_error(call: str, exc: BaseException) -> DeliveryError:
    """Authentication, host key and permission problems are permanent; connection trouble is transient."""
    return sftp.sftp_error(CONNECTOR, call, exc)


__all__ = ["CONNECTOR", "http_error", "http_exception", "sftp_error"]
