"""TIP as a port: publish the hub's own CloudEvents."""

from __future__ import annotations

from typing import Protocol

from hub.model import CloudEvent


class EventPublisher(Protocol):
    """Outbound CloudEvents (peer `tip`); errors: TransientError/PermanentError once retries are spent."""

    @property
    def source(self) -> str:
        """The CloudEvents `source` flows put on the events they publish."""

    def publish(self, event: CloudEvent) -> None:
        """Deliver one event."""


__all__ = ["EventPublisher"]
