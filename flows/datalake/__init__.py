"""The municipal data platform export: the hub's store as incremental, pseudonymised Delta tables.

Importing this package registers the scheduled job `datalake`; the export itself (and `deltalake`,
`pyarrow`) is imported only when it runs.
"""

from __future__ import annotations

from flows.datalake import job

__all__ = ["job"]
