"""asyncssh for the SFTP connectors and simulators: imported on first use, without its DSA deprecation warnings.

asyncssh names cryptography's deprecated DSA types when it is imported (ten `CryptographyDeprecationWarning`
lines before any output); the hub never uses DSA keys. It also takes a fifth of a second to import, which
commands that never open an SFTP connection (`status`, `--help`) should not pay. Use
`from connectors.ssh import asyncssh`: the first attribute read imports it.
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import TYPE_CHECKING


def load() -> ModuleType:
    """Import asyncssh (once) with its DSA `CryptographyDeprecationWarning`s silenced."""
    from cryptography.utils import CryptographyDeprecationWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning, module=r"asyncssh(\.|$)")
        import asyncssh as module
    return module


class _OnFirstUse:
    """Stands in for the asyncssh module until an attribute is read."""

    def __getattr__(self, name: str) -> object:
        return getattr(load(), name)


if TYPE_CHECKING:
    import asyncssh as asyncssh
else:
    asyncssh = _OnFirstUse()
