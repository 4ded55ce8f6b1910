"""Connector plumbing every peer shares: OAuth2 client credentials, retries, client lifecycle, call counting, SFTP.

A connector builds on these instead of writing its own: `oauth2.ClientCredentialsAuth` (an `httpx.Auth`),
`retry.retrying`/`async_retrying` (one tenacity policy from a `RetryPolicy`), `lifecycle.HttpLifecycle` (the traced
httpx client a connector closes only when it made it), `peer_calls.counted`/`note_answer` (PEER_CALLS and the
rate-limit hook), `problems` (reading an error answer), `sftp.session` (asyncssh from sync code) and
`http_call.HttpCall` (a request built without I/O).
"""
