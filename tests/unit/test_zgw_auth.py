"""ZGW JWT: HS256 with exactly the claims the ZGW standard prescribes; bearer mode; NRC token choice."""

from __future__ import annotations

import jwt
import pytest
from pydantic import SecretStr

from connectors.zgw import REQUIRED_CLAIMS, ZgwSettings, nrc_auth, zaken_auth, zgw_jwt

SECRET = "unit-test-secret-0123456789abcdef-xyz"


def _claims(header: str, secret: str = SECRET) -> dict[str, object]:
    scheme, _, token = header.partition(" ")
    assert scheme == "Bearer"
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    decoded: dict[str, object] = jwt.decode(token, secret, algorithms=["HS256"], options={"require": list(
        REQUIRED_CLAIMS)})
    return decoded


def test_jwt_claims_follow_the_zgw_rules() -> None:
    settings = ZgwSettings(client_id="afsprakenhub-tilburg", client_secret=SecretStr(SECRET), user_id="hub",
                           user_representation="afsprakenhub (integratie)")
    auth = zaken_auth(settings)
    claims = _claims(auth.header())
    # iss is the client id itself; client_id repeats it; user_* feed the audit trail of the Zaken API.
    assert claims["iss"] == claims["client_id"] == "afsprakenhub-tilburg"
    assert claims["user_id"] == "hub" and claims["user_representation"] == "afsprakenhub (integratie)"
    assert isinstance(claims["iat"], int)
    assert set(claims) == set(REQUIRED_CLAIMS)


def test_iat_is_the_time_of_issue_and_fresh_per_request() -> None:
    token = zgw_jwt("c", SECRET, user_id="u", user_representation="r", now=1_700_000_000.9)
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["iat"] == 1_700_000_000
    ticks = iter([1000.0, 2000.0])
    auth = zaken_auth(ZgwSettings(client_secret=SecretStr(SECRET)))
    auth = type(auth)(auth.mode, auth.client_id, auth.secret, auth.user_id, auth.user_representation,
                      clock=lambda: next(ticks))
    assert [_claims(auth.header())["iat"] for _ in range(2)] == [1000, 2000]


def test_wrong_secret_does_not_verify() -> None:
    header = zaken_auth(ZgwSettings(client_secret=SecretStr(SECRET))).header()
    with pytest.raises(jwt.InvalidSignatureError):
        _claims(header, secret="another-secret-0123456789abcdef-xyz")


def test_bearer_mode_sends_the_static_token() -> None:
    settings = ZgwSettings(auth_mode="bearer", bearer_token=SecretStr("static-token"))
    assert zaken_auth(settings).header() == "Bearer static-token"
    with pytest.raises(ValueError, match="bearer_token"):
        zaken_auth(ZgwSettings(auth_mode="bearer"))


def test_nrc_uses_its_own_token_when_set_else_the_zgw_jwt() -> None:
    assert nrc_auth(ZgwSettings(nrc_token=SecretStr("nrc-token"))).header() == "Bearer nrc-token"
    assert _claims(nrc_auth(ZgwSettings(client_secret=SecretStr(SECRET))).header())["client_id"] == "afsprakenhub"


def test_secret_is_not_printed() -> None:
    settings = ZgwSettings(client_secret=SecretStr(SECRET))
    assert SECRET not in repr(settings) and SECRET not in repr(zaken_auth(settings))
