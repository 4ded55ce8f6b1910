"""`SftpServer`: the SFTP login fields a connector's settings share (defaults: the sandbox on loopback)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SecretStr


class SftpServer(BaseModel):
    """Where an SFTP server is and how to log in; `known_hosts_path` None skips the host key check (sandbox only)."""

    host: str = "127.0.0.1"
    port: int = 8722
    username: str = "afsprakenhub"
    password: SecretStr | None = SecretStr("sandbox-password")
    private_key_path: str | None = None
    private_key_passphrase: SecretStr | None = None
    known_hosts_path: str | None = None  # None: host key not checked (sandbox only; set it in production)


def fold_prefixed(data: Any, prefix: str, into: str) -> Any:
    """Move flat `<prefix><field>` keys of `SftpServer` into the nested `into` section (keeps flat env/toml keys)."""
    if not isinstance(data, dict):
        return data
    flat = {key[len(prefix):]: data[key] for key in data
            if key.startswith(prefix) and key[len(prefix):] in SftpServer.model_fields}
    if not flat:
        return data
    rest = {key: value for key, value in data.items() if not (key.startswith(prefix) and key[len(prefix):] in flat)}
    nested = rest.get(into)
    base = nested.model_dump() if isinstance(nested, SftpServer) else dict(nested or {})
    rest[into] = {**base, **flat}
    return rest


__all__ = ["SftpServer", "fold_prefixed"]
