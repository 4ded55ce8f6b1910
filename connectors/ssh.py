"""asyncssh for the SFTP connectors and simulators, imported without its DSA `CryptographyDeprecationWarning`s.

asyncssh names cryptography's deprecated DSA types when it is imported (ten warning lines before any output);
the hub never uses DSA keys. Import it from here: `from connectors.ssh import asyncssh`.
"""

from __future__ import annotations

import warnings

from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning, module=r"asyncssh(\.|$)")
    import asyncssh as asyncssh
