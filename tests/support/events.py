"""The canonical event builders, which ship with the contract tests; re-exported for the test suite."""

from contract_tests.support.events import AMS, FAKE_BSN, appointment, cloudevent

__all__ = ["AMS", "FAKE_BSN", "appointment", "cloudevent"]
