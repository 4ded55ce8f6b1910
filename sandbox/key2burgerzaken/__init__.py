"""Key2Burgerzaken sandbox: a document table plus the read-only view, in a SQLite file the demo changes."""

from sandbox.key2burgerzaken.fixture import TABLE, Key2BurgerzakenFixture

__all__ = ["TABLE", "Key2BurgerzakenFixture"]
