"""The operations console without a browser: login, CSRF, masking, language, replay, jobs, migration, OIDC."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub import operations
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.metrics import PEER_CALLS
from hub.scheduler import JOBS, JobResult, JobSpec
from hub.serving import ThreadedServer, bind_tcp
from hub.store.tables import AuditRecord
from tests.conftest import AUTH
from tests.support.events import cloudevent
from tests.support.flows import Recorder, permanent, wait_for
from tests.support.privacy import FIXTURE_VALUES, find_personal_data

OPS_TOKEN = "ops-token-987654321"
REASON = "peer said 400: customer 999993653 jan@example.nl rejected"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "form without a CSRF token"
    return found.group(1)


def login(client: TestClient, token: str = OPS_TOKEN) -> Any:
    form = client.get("/console/login")
    return client.post("/console/login", data={"csrf": csrf_of(form.text), "token": token, "next": "/console/"},
                       follow_redirects=False)


def dead_letter(client: TestClient, hub: Hub, recorder: Recorder, appointment_id: str = "A-1001") -> int:
    """One event whose only delivery goes dead with a reason that quotes personal data."""
    recorder.failures.append(permanent(REASON))
    posted = client.post("/api/v1/events", json=cloudevent(appointment_id=appointment_id), headers=AUTH)
    assert posted.status_code == 202
    [view] = operations.list_deliveries(hub, subject=appointment_id)
    assert hub.runtime.processor.process(view.id).status == "dead"
    return view.id


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub)) as c:
        yield c


@pytest.fixture
def operator(client: TestClient) -> TestClient:
    assert login(client).status_code == 303
    return client


def test_unauthenticated_pages_redirect_to_login(client: TestClient) -> None:
    for path in ("/console/", "/console/dead-letters?status=dead", "/console/jobs", "/console/migration"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/console/login?next=/console/")
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/"
    r = client.get("/console/", follow_redirects=True)
    assert r.headers["content-type"].startswith("text/html") and 'name="token"' in r.text


def test_wrong_token_refused_and_right_token_gives_signed_httponly_cookie(client: TestClient) -> None:
    refused = login(client, "not-a-token")
    assert refused.status_code == 401 and "niet geldig" in refused.text
    assert "afsprakenhub_console=" not in refused.headers.get("set-cookie", "")
    assert client.get("/console/", follow_redirects=False).status_code == 303
    accepted = login(client)
    cookie = accepted.headers["set-cookie"]
    assert accepted.status_code == 303 and "afsprakenhub_console=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and OPS_TOKEN not in cookie
    assert client.get("/console/").status_code == 200


def test_forged_session_cookie_refused(client: TestClient) -> None:
    client.cookies.set("afsprakenhub_console", "eyJzZXNzaW9uIjp7Im5hbWUiOiJ4In19.forged.sig", path="/console")
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_every_post_needs_the_csrf_token(operator: TestClient, hub: Hub, recorder: Recorder) -> None:
    delivery_id = dead_letter(operator, hub, recorder)
    for path, data in (("/console/replay", {"ids": str(delivery_id)}), ("/console/logout", {}),
                       ("/console/login", {"token": OPS_TOKEN}), ("/console/jobs/none/run", {})):
        assert operator.post(path, data=data, follow_redirects=False).status_code == 403, path
        assert operator.post(path, data={**data, "csrf": "forged"}, follow_redirects=False).status_code == 403
    assert operations.get_delivery(hub, delivery_id).status == "dead"  # type: ignore[union-attr]
    assert operator.get("/console/", follow_redirects=False).status_code == 200  # still logged in


def test_dead_letter_views_mask_personal_data(operator: TestClient, hub: Hub, recorder: Recorder) -> None:
    delivery_id = dead_letter(operator, hub, recorder)
    listing = operator.get("/console/dead-letters")
    detail = operator.get(f"/console/deliveries/{delivery_id}")
    trace = operator.get("/console/trace", params={"q": "A-1001"})
    assert f'href="/console/deliveries/{delivery_id}"' in listing.text
    assert "[redacted]" in detail.text and "[email]" in detail.text and "Stadswinkel Koningsplein" in detail.text
    assert "Dijk" not in detail.text and "1980-01-28" not in detail.text
    hits = find_personal_data([("list", listing.text), ("detail", detail.text), ("trace", trace.text)],
                              FIXTURE_VALUES)
    assert not hits, [str(h) for h in hits]


def test_replay_one_from_the_console(operator: TestClient, hub: Hub, recorder: Recorder) -> None:
    delivery_id = dead_letter(operator, hub, recorder)
    page = operator.get(f"/console/deliveries/{delivery_id}")
    r = operator.post("/console/replay", data={"csrf": csrf_of(page.text), "ids": str(delivery_id)})
    assert r.status_code == 200 and "1 bericht(en) opnieuw in de wachtrij gezet" in r.text
    assert operations.get_delivery(hub, delivery_id).status == "pending"  # type: ignore[union-attr]
    assert hub.runtime.processor.process(delivery_id).status == "succeeded"
    again = operator.get(r.url.path, params=dict(r.url.params))
    assert f'data-delivery="{delivery_id}"' in again.text and "badge-succeeded" in again.text
    with hub.db.unit_of_work() as s:
        actors = list(s.scalars(select(AuditRecord.actor).where(AuditRecord.action == "replay")))
    assert actors == ["console:ops"]


def test_replay_many_and_filters(operator: TestClient, hub: Hub, recorder: Recorder) -> None:
    ids = [dead_letter(operator, hub, recorder, f"A-20{i}") for i in range(3)]
    only = operator.get("/console/dead-letters", params={"appointment": "A-201"})
    assert f'value="{ids[1]}"' in only.text and f'value="{ids[0]}"' not in only.text
    none = operator.get("/console/dead-letters", params={"error": "no such error text"})
    assert 'name="ids"' not in none.text
    listing = operator.get("/console/dead-letters", params={"error": "peer said 400"})
    r = operator.post("/console/replay", data={"csrf": csrf_of(listing.text), "ids": [str(i) for i in ids[:2]]})
    assert "2 bericht(en)" in r.text
    assert [operations.get_delivery(hub, i).status for i in ids] == ["pending", "pending", "dead"]  # type: ignore[union-attr]


def test_overview_counts_equal_status(operator: TestClient, hub: Hub, recorder: Recorder) -> None:
    dead_letter(operator, hub, recorder, "A-1")
    operator.post("/api/v1/events", json=cloudevent(appointment_id="A-2"), headers=AUTH)
    html = operator.get("/console/").text
    status = operations.status(hub)
    row = re.search(r'<tr data-flow="recorder">(.*?)</tr>', html, re.S)
    assert row
    shown = dict(re.findall(r'data-state="(\w+)">(?:<a[^>]*>)?(\d+)', row.group(1)))
    assert {k: int(v) for k, v in shown.items()} == status["deliveries"]["recorder"]
    assert f'data-count="inbox-received">{status["inbox"]["received"]}<' in html
    assert "Aandacht nodig" in html  # a dead letter: the flow needs attention (text, not colour alone)
    assert status["deliveries"]["recorder"]["pending"] == 1  # A-2 waits: no worker runs in this app
    assert re.search(r'<td class="num">\d+ s</td>\s*</tr>', row.group(0)), "oldest pending age missing"


def test_connector_calls_are_shared_through_the_store(operator: TestClient, hub: Hub) -> None:
    PEER_CALLS.labels(connector="console-test-peer", outcome="ok").inc(3)
    PEER_CALLS.labels(connector="console-test-peer", outcome="transient").inc()
    html = operator.get("/console/").text
    row = re.search(r'<tr data-connector="console-test-peer">(.*?)</tr>', html, re.S)
    assert row and re.findall(r'class="num">(\d+)<', row.group(1)) == ["4", "1"]
    assert "transient" in row.group(1) and "—" in row.group(1)  # no headroom reported by this peer
    # a second hub on the same store (another process) reads the same row
    other = Hub(hub.settings, registry=hub.registry, load_flows=False)
    try:
        from hub.console import peer_stats

        [stats] = [r for r in peer_stats.read(other) if r.connector == "console-test-peer"]
        assert (stats.ok, stats.errors, stats.last_error) == (3, 1, "transient")
    finally:
        other.close()


def test_language_switch(operator: TestClient) -> None:
    dutch = operator.get("/console/")
    assert '<html lang="nl">' in dutch.text and "Dode berichten" in dutch.text
    english = operator.get("/console/", params={"lang": "en"})
    assert '<html lang="en">' in english.text and "Dead letters" in english.text
    assert "afsprakenhub_console_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in operator.get("/console/jobs").text  # the cookie keeps it
    assert '<html lang="nl">' in operator.get("/console/jobs", params={"lang": "nl"}).text


def test_trace_by_external_id_links_to_peer_ui(operator: TestClient, hub: Hub) -> None:
    hub.settings.console.peer_ui_urls = {"salesforce": "https://crm.example.nl/r/{remote_id}"}
    operator.post("/api/v1/events", json=cloudevent(appointment_id="A-77"), headers=AUTH)
    hub.links.put("A-77", "salesforce", remote_id="a0B000000077", version=1)
    with TestClient(create_app(hub)) as fresh:
        assert login(fresh).status_code == 303
        page = fresh.get("/console/trace", params={"q": "a0B000000077"})
    assert "Afspraak A-77" in page.text and 'href="https://crm.example.nl/r/a0B000000077"' in page.text
    assert "Geen afspraak gevonden" in fresh.get("/console/trace", params={"q": "A-404"}).text


def test_run_job_now_in_background_under_its_lock(operator: TestClient, hub: Hub,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    release, runs = threading.Event(), []

    def slow(hub: Hub, dry_run: bool) -> JobResult:
        runs.append(1)
        release.wait(30)
        return JobResult("ok", {"checked": 2})

    monkeypatch.setitem(JOBS, "console-test", JobSpec("console-test", slow, "0 3 * * *", "test: wait"))
    page = operator.get("/console/jobs")
    assert 'data-job="console-test"' in page.text and "Nooit" in page.text
    first = operator.post("/console/jobs/console-test/run", data={"csrf": csrf_of(page.text)})
    assert "is gestart" in first.text  # answered while the job still runs
    second = operator.post("/console/jobs/console-test/run", data={"csrf": csrf_of(page.text)})
    assert "draait al" in second.text
    release.set()
    assert wait_for(lambda: "badge-job-ok" in operator.get("/console/jobs").text, timeout=20)
    assert runs == [1] and "checked" in operator.get("/console/jobs").text
    assert hub.locks.acquire("job:console-test", "someone", 5)  # the console released the lock


def test_migration_runs_and_reports(operator: TestClient, hub: Hub, tmp_path: Path) -> None:
    from migration import runlog
    from migration.db import Staging

    url = f"sqlite:///{tmp_path / 'migration.db'}"
    hub.settings.migration.staging_database_url = url
    assert "Nog geen migratieruns" in operator.get("/console/migration").text
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    report.write_text("<html><body>JCC conversion report</body></html>", encoding="utf-8")
    staging = Staging(url)
    extract = runlog.start(staging, "extract", "afsprakenhub migrate extract")
    runlog.finish(staging, extract, 0, {"step": "extract"})
    done = runlog.start(staging, "report", "afsprakenhub migrate report")
    runlog.finish(staging, done, 1, {"verdict": "no-go", "files": {"report.html": str(report)}})
    staging.close()
    page = operator.get("/console/migration").text
    assert f'href="/console/migration/runs/{done}/report"' in page and "no-go" in page
    assert f'/console/migration/runs/{extract}/report' not in page
    assert "JCC conversion report" in operator.get(f"/console/migration/runs/{done}/report").text
    assert operator.get(f"/console/migration/runs/{extract}/report").status_code == 404


def test_logout_ends_the_session(operator: TestClient) -> None:
    page = operator.get("/console/")
    r = operator.post("/console/logout", data={"csrf": csrf_of(page.text)})
    assert "U bent afgemeld" in r.text
    assert operator.get("/console/", follow_redirects=False).status_code == 303


# --- OpenID Connect against a loopback issuer --------------------------------------------------------
class FakeIssuer:
    """Discovery, JWKS and a token endpoint that answers with the id_token the test sets."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.claims: dict[str, Any] = {}
        self.codes: list[str] = []
        app = FastAPI()
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, str]:
            return {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/keys"}

        @app.get("/keys")
        def keys() -> dict[str, Any]:
            return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}

        @app.post("/token")
        def token(code: str = Form(), code_verifier: str = Form()) -> dict[str, str]:
            self.codes.append(code)
            assert code_verifier
            return {"id_token": jwt.encode(self.claims, self.key, algorithm="RS256", headers={"kid": "k1"}),
                    "token_type": "Bearer"}

        self.server = ThreadedServer(app, bind_tcp())
        self.url = self.server.url

    def id_claims(self, expected_nonce: str, **overrides: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {"iss": self.url, "aud": "console-client", "sub": "u-1", "nonce": expected_nonce,
                "preferred_username": "p.jansen@example.nl", "groups": ["g-ops"],
                "iat": now, "exp": now + timedelta(minutes=5), **overrides}


@pytest.fixture
def issuer() -> Iterator[FakeIssuer]:
    fake = FakeIssuer()
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def oidc_client(hub: Hub, issuer: FakeIssuer) -> Iterator[TestClient]:
    oidc = hub.settings.console.oidc
    oidc.issuer, oidc.client_id, oidc.allowed_groups = issuer.url, "console-client", ["g-ops"]
    with TestClient(create_app(hub)) as c:
        yield c


def _start_login(client: TestClient) -> dict[str, str]:
    r = client.get("/console/login/oidc", follow_redirects=False)
    assert r.status_code == 303
    query = {k: v[0] for k, v in parse_qs(urlparse(r.headers["location"]).query).items()}
    assert query["client_id"] == "console-client" and query["code_challenge_method"] == "S256"
    return query


def test_oidc_login_accepts_a_good_id_token(oidc_client: TestClient, issuer: FakeIssuer) -> None:
    assert "Aanmelden met Entra ID" in oidc_client.get("/console/login").text
    query = _start_login(oidc_client)
    issuer.claims = issuer.id_claims(query["nonce"])
    r = oidc_client.get("/console/auth/callback", params={"state": query["state"], "code": "c-1"},
                        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/" and issuer.codes == ["c-1"]
    assert "p.jansen@example.nl" in oidc_client.get("/console/").text


@pytest.mark.parametrize("bad", [{"iss": "https://elsewhere.example.nl"}, {"aud": "another-client"},
                                 {"nonce": "replayed-nonce"}, {"groups": ["g-other"]},
                                 {"exp": datetime(2020, 1, 1, tzinfo=UTC)}])
def test_oidc_login_refuses_wrong_claims(oidc_client: TestClient, issuer: FakeIssuer, bad: dict[str, Any]) -> None:
    query = _start_login(oidc_client)
    issuer.claims = issuer.id_claims(query["nonce"], **bad)
    r = oidc_client.get("/console/auth/callback", params={"state": query["state"], "code": "c-2"},
                        follow_redirects=False)
    assert r.status_code == 403 and "Aanmelden geweigerd" in r.text
    assert oidc_client.get("/console/", follow_redirects=False).status_code == 303


def test_oidc_callback_refuses_a_foreign_state(oidc_client: TestClient, issuer: FakeIssuer) -> None:
    query = _start_login(oidc_client)
    issuer.claims = issuer.id_claims(query["nonce"])
    r = oidc_client.get("/console/auth/callback", params={"state": "attacker", "code": "c-3"})
    assert r.status_code == 403 and issuer.codes == []


def test_flusher_adds_counts_and_keeps_them_when_the_store_fails(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.console import peer_stats

    def row() -> Any:
        with hub.db.unit_of_work() as s:
            return s.get(peer_stats.PeerCallStats, "console-flusher-peer")

    real_write = peer_stats._write

    def broken(*args: Any) -> None:
        raise RuntimeError("store down")

    PEER_CALLS.labels(connector="console-flusher-peer", outcome="ok").inc()
    peer_stats.flush(hub)
    PEER_CALLS.labels(connector="console-flusher-peer", outcome="permanent").inc(2)
    monkeypatch.setattr(peer_stats, "_write", broken)
    with pytest.raises(RuntimeError):
        peer_stats.flush(hub)
    monkeypatch.setattr(peer_stats, "_write", real_write)
    stop = peer_stats.start_flusher(hub, interval=0.05)
    try:
        assert wait_for(lambda: row().errors == 2, timeout=10)
    finally:
        stop.set()
    found = row()
    assert (found.ok, found.errors, found.last_error) == (1, 2, "permanent")  # nothing lost, nothing twice


def test_configured_session_secret_survives_a_restart(hub: Hub) -> None:
    from pydantic import SecretStr

    with TestClient(create_app(hub)) as first:
        assert login(first).status_code == 303
        cookies = dict(first.cookies)
    with TestClient(create_app(hub), cookies=cookies) as restarted:  # a generated secret: logged out
        assert restarted.get("/console/", follow_redirects=False).status_code == 303
    hub.settings.console.session_secret = SecretStr("a-configured-console-secret")
    with TestClient(create_app(hub)) as first:
        assert login(first).status_code == 303
        cookies = dict(first.cookies)
    with TestClient(create_app(hub), cookies=cookies) as restarted:
        assert restarted.get("/console/", follow_redirects=False).status_code == 200


def test_pages_of_dead_letters_and_replay_all_shown(operator: TestClient, hub: Hub, recorder: Recorder) -> None:
    hub.settings.console.page_size = 2
    ids = [dead_letter(operator, hub, recorder, f"A-40{i}") for i in range(3)]
    first = operator.get("/console/dead-letters", params={"status": "dead", "lang": "en"})
    assert re.findall(r'name="ids" value="(\d+)" id=', first.text) == [str(ids[2]), str(ids[1])]  # newest first
    assert "page=2" in first.text and "Replay all 2 shown" in first.text
    assert 'href="/console/dead-letters?status=dead&amp;lang=nl"' in first.text  # the switch keeps the filters
    second = operator.get("/console/dead-letters", params={"status": "dead", "page": 2})
    assert re.findall(r'name="ids" value="(\d+)" id=', second.text) == [str(ids[0])]
    shown = re.findall(r'type="hidden" name="ids" value="(\d+)"', first.text)
    assert shown == [str(ids[2]), str(ids[1])]  # "replay all shown" posts exactly this page
    r = operator.post("/console/replay", data={"csrf": csrf_of(first.text), "ids": shown})
    assert "2 delivery(ies) queued again" in r.text
    assert operator.get("/console/dead-letters", params={"page": 0}).status_code == 400
    missing = operator.get("/console/deliveries/999999")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


def test_overview_names_the_register_and_what_it_cannot_do(operator: TestClient, hub: Hub) -> None:
    import flows.zaak_closure  # noqa: F401 - registers the flow
    from hub.ports.register import ALL_CAPABILITIES, Capability
    from hub.registry import REGISTRY
    from tests.support.fake_register import InMemoryRegister

    hub.peers._cache["register"] = InMemoryRegister(vendor="qmatic")
    assert "Het register kan alles wat de flows en taken vragen." in operator.get("/console/").text
    hub.registry.add(REGISTRY.get("zaak_closure"))
    hub.peers._cache["register"] = InMemoryRegister(capabilities=ALL_CAPABILITIES - {Capability.CLOSE},
                                                    vendor="qmatic")
    html = operator.get("/console/").text
    assert "Afsprakenregister: qmatic" in html
    assert re.search(r'data-register-gap="flow:zaak_closure">flow zaak_closure: not supported by register qmatic: '
                     r'close</li>', html)
