"""Document rows, defined with the document-status port (hub.ports.documents_types): re-exported for the connector."""

from hub.ports.documents_types import (
    DocumentRow,
)

__all__ = ["DocumentRow"]
