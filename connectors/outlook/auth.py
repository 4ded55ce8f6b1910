"""OAuth2 client credentials against Entra ID (`/oauth2/v2.0/token`): the foundation's `httpx.Auth`, Graph's rules.

App-only tokens (`.default` scope) are refreshed 120 s (at most half their lifetime) before they expire.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from connectors.foundation.oauth2 import TOKEN_CALL, ClientCredentials, ClientCredentialsAuth, Clock, TokenRules
from connectors.outlook.errors import error_for_response, invalid_response


@dataclass(frozen=True)
class Credentials(ClientCredentials):
    """Where and how to ask for an app-only token (client_secret_post, `.default` scope)."""

    scope: str | None = "https://graph.microsoft.com/.default"


RULES = TokenRules(refused=lambda response: error_for_response(TOKEN_CALL, response),
                   unreadable=lambda what: invalid_response(TOKEN_CALL, what),
                   default_lifetime=3599.0, refresh_margin=120.0)


def graph_auth(credentials: ClientCredentials, clock: Clock = time.monotonic) -> ClientCredentialsAuth:
    """The auth every Graph request is sent with."""
    return ClientCredentialsAuth(credentials, RULES, clock=clock)


__all__ = ["RULES", "Credentials", "graph_auth"]
