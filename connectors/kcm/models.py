"""KCM file shapes, defined with the survey drop port (hub.ports.surveys_types): re-exported for the connector."""

from hub.ports.surveys_types import (
    Receipt,
    RemoteFile,
)

__all__ = ["Receipt", "RemoteFile"]
