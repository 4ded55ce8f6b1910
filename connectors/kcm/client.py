"""`KcmClient`: deliver invitation files to KCM by the configured protocol, retrying transient failures."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from tenacity import RetryCallState

from connectors.foundation.peer_calls import counted
from connectors.foundation.retry import RetryPolicy, retrying
from connectors.kcm.errors import CONNECTOR
from connectors.kcm.https import HttpsTransport
from connectors.kcm.models import Receipt, RemoteFile
from connectors.kcm.settings import KcmSettings
from connectors.kcm.sftp import SftpTransport
from connectors.kcm.transport import Transport

log = structlog.get_logger("afsprakenhub.kcm")


class KcmClient:
    """The KCM drop folder. `deliver` is all-or-nothing under the final name and safe to repeat."""

    def __init__(self, transport: Transport, *, max_attempts: int = 4, retry_base_seconds: float = 2.0,
                 retry_max_seconds: float = 60.0) -> None:
        self.transport = transport
        self.policy = RetryPolicy(max_retries=max(max_attempts - 1, 0), backoff_base_seconds=retry_base_seconds,
                                  backoff_cap_seconds=retry_max_seconds, max_inline_retry_after=retry_max_seconds)

    @classmethod
    def from_settings(cls, settings: KcmSettings) -> KcmClient:
        transport: Transport = HttpsTransport(settings) if settings.delivery == "https" else SftpTransport(settings)
        return cls(transport, max_attempts=settings.max_attempts, retry_base_seconds=settings.retry_base_seconds)

    @property
    def protocol(self) -> str:
        return self.transport.name

    def _call(self, call: str, fn: Callable[[], object]) -> object:
        def before_sleep(state: RetryCallState) -> None:
            log.info("kcm.retry", call=call, attempt=state.attempt_number,
                     reason=str(state.outcome.exception() if state.outcome else ""))

        with counted(CONNECTOR):
            return retrying(self.policy, before_sleep=before_sleep)(fn)

    def deliver(self, name: str, content: bytes) -> Receipt:
        """Upload to a temporary name, then rename to `name` (replacing it); retried while transient."""
        result = self._call("upload", lambda: self.transport.put(name, content))
        assert isinstance(result, Receipt)
        return result

    def list_files(self) -> list[RemoteFile]:
        """The drop folder's files (read only)."""
        result = self._call("list", self.transport.list_files)
        assert isinstance(result, list)
        return result

    def checksum(self, name: str) -> str | None:
        """SHA-256 of a delivered file, or None when it is not there."""
        result = self._call("read", lambda: self.transport.checksum(name))
        assert result is None or isinstance(result, str)
        return result

    def close(self) -> None:
        self.transport.close()
