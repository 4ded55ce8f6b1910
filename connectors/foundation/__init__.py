"""Connector plumbing every peer shares: OAuth2 client credentials, retries, client lifecycle, call metrics, SFTP.

A connector builds on these instead of writing its own: `oauth2.ClientCredentialsAuth` (an `httpx.Auth`),
`retry.retrying`/`async_retrying` (one tenacity policy from a `RetryPolicy`), `lifecycle.OwnedHttp` (the traced
httpx client a connector closes only when it made it), `calls.record`/`calls.note_answer` (PEER_CALLS and the
rate-limit headroom hook) and `sftp.session` (asyncssh from sync code).
"""
