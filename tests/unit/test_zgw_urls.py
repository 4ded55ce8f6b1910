"""The SSRF guard: only URLs under the configured base URLs pass."""

from __future__ import annotations

import pytest

from connectors.zgw import url_within

BASES = ["https://openzaak.example.nl/zaken/api/v1", "http://127.0.0.1:8701/openzaak/zaken/api/v1/"]


@pytest.mark.parametrize("url", [
    "https://openzaak.example.nl/zaken/api/v1/zaken/7c5b1f3e-5d2e-4b0b-9f43-1f2c7e8f0a11",
    "https://OPENZAAK.example.nl:443/zaken/api/v1/statussen/1",
    "http://127.0.0.1:8701/openzaak/zaken/api/v1/zaken/abc",
])
def test_allowed(url: str) -> None:
    assert url_within(url, BASES)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",                                 # cloud metadata
    "https://openzaak.example.nl.evil.example/zaken/api/v1/zaken/1",            # look-alike host
    "https://openzaak.example.nl/zaken/api/v10/zaken/1",                        # prefix, not a segment
    "https://openzaak.example.nl/zaken/api/v1/../../admin",                     # dot segments
    "https://openzaak.example.nl/zaken/api/v1/%2e%2e/admin",                    # encoded dot segments
    "https://openzaak.example.nl/zaken/api/v1/a%2F..%2Fadmin",                  # encoded slash
    "https://user:pw@openzaak.example.nl/zaken/api/v1/zaken/1",                 # user info
    "http://openzaak.example.nl/zaken/api/v1/zaken/1",                          # other scheme (port)
    "https://openzaak.example.nl:8443/zaken/api/v1/zaken/1",                    # other port
    "file:///etc/passwd",
    "https://openzaak.example.nl/zaken/api/v1/zaken/1#frag",
    "not a url",
    "http://127.0.0.1:8700/api/v1/deliveries",                                  # the hub itself
])
def test_refused(url: str) -> None:
    assert not url_within(url, BASES)
