"""The register's OAuth2 client credentials: the foundation's `httpx.Auth` with the register's token rules.

A token is cached until 30 s (at most half its lifetime) before it expires; one token request at a time; a 401
drops only the refused token and the call is tried once more with a fresh one.
"""

from __future__ import annotations

import time

from connectors.foundation.oauth2 import TOKEN_CALL, ClientCredentials, ClientCredentialsAuth, Clock, TokenRules
from connectors.register.errors import error_for_response, invalid_response

#: Where and how to ask for a token (client_secret_post).
Credentials = ClientCredentials

RULES = TokenRules(refused=lambda response: error_for_response(TOKEN_CALL, response),
                   unreadable=lambda what: invalid_response(TOKEN_CALL, what, "access_token"),
                   default_lifetime=300.0, refresh_margin=30.0)


def register_auth(credentials: Credentials, clock: Clock = time.monotonic) -> ClientCredentialsAuth:
    """The auth every register request is sent with."""
    return ClientCredentialsAuth(credentials, RULES, clock=clock)


__all__ = ["RULES", "Clock", "Credentials", "register_auth"]
