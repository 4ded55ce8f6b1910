"""Server-side request forgery guard: the hub fetches only URLs under the configured API base URLs (e.g. ZGW)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _parts(url: str) -> tuple[str, str, int, list[str]] | None:
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        return None
    scheme = split.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not split.hostname or split.username or split.password:
        return None
    segments = [unquote(s) for s in split.path.split("/")]
    if any(s in (".", "..") or "/" in s or "\\" in s for s in segments):
        return None
    return scheme, split.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme], [s for s in segments if s]


def url_within(url: str, bases: Iterable[str]) -> bool:
    """Whether `url` lies under one of `bases`: same scheme, host and port, and the base path as a prefix
    of whole segments. User info, dot segments, encoded slashes, whitespace and control characters are refused."""
    if any(c.isspace() or not c.isprintable() for c in url):  # parsers disagree on these (urlsplit drops tabs)
        return False
    target = _parts(url)
    if target is None or urlsplit(url).fragment:
        return False
    for base in bases:
        allowed = _parts(base.strip())
        if allowed is None:
            continue
        if target[:3] == allowed[:3] and target[3][:len(allowed[3])] == allowed[3]:
            return True
    return False


__all__ = ["url_within"]
