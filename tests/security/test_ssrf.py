"""The SSRF guard agrees with the HTTP client: whatever `url_within` lets through is requested from the
configured host, port and path, whatever tricks the URL holds (encodings, dot segments, user info, spaces)."""

from __future__ import annotations

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from connectors.zgw import url_within

BASE = "https://openzaak.example.nl/zaken/api/v1"
PIECES = ["/", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "\\", "@", ":", "?", "#", "%00", " ", "\t", "\n",
          "zaken", "1", "evil.example", ":8443", "%40", "//", ";", "&", "=", "é"]
suffixes = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
prefixes = st.sampled_from(["https://openzaak.example.nl", "https://openzaak.example.nl:443", "https://OPENZAAK.example.nl",
                            "https://openzaak.example.nl.", "https://user@openzaak.example.nl", " https://openzaak.example.nl",
                            "https://openzaak.example.nl\\@evil.example", "https://evil.example#@openzaak.example.nl"])


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


@example(" https://openzaak.example.nl", "/zaken/api/v1/zaken/1")  # the guard stripped it, httpx did not
@example("https://openzaak.example.nl", "/zaken/api/v1/..%2f..%2fadmin")
@example("https://openzaak.example.nl", "/zaken/api/v1/\t../../admin")
@given(prefixes, st.sampled_from(["/zaken/api/v1", "/zaken/api/v1/", "/zaken/api/v10", "/zaken"]).flatmap(
    lambda head: suffixes.map(lambda tail: head + tail)))
def test_what_passes_the_guard_is_requested_under_the_base(prefix: str, path: str) -> None:
    url = prefix + path
    if not url_within(url, [BASE]):
        return
    request = httpx.Request("GET", url)  # what the ZGW client would send
    host = request.url.host.rstrip(".")  # a trailing dot names the same host (FQDN)
    assert (request.url.scheme, host, request.url.port or 443) == ("https", "openzaak.example.nl", 443), url
    sent = _segments(request.url.raw_path.decode().split("?", 1)[0])
    assert sent[:3] == ["zaken", "api", "v1"] and ".." not in sent and "." not in sent, url
