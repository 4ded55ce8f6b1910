"""The pass list, defined with the passes port (hub.ports.passes_types): re-exported for the connector."""

from hub.ports.passes_types import (
    PassList,
    PassRecord,
    parse_status,
)

__all__ = ["PassList", "PassRecord", "parse_status"]
