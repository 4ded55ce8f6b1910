"""Secrets stay secret: typed as SecretStr in the settings, and never in a log line (even at DEBUG), an answer
of the API, /metrics, or `status --json`, whatever the callers send."""

from __future__ import annotations

import io
import json
import re
import typing
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr
from typer.testing import CliRunner

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.cli import app as cli
from hub.config import Settings, get_settings
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with
from tests.support.privacy import find_personal_data

SECRET_NAME = re.compile(r"secret|password|passphrase|token|private_key|api_key|credential", re.I)
NOT_SECRETS = re.compile(r"_url$|_path$|_file$|^token_login$")
API_TOKEN = "S3cret-api-token-7d1e90ab"
NRC_AUTH = "Token S3cret-nrc-4b2f"


def secret_fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, typing.Any]]:
    for name, field in model.model_fields.items():
        args = typing.get_args(field.annotation) or (field.annotation,)
        for arg in args:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                yield from secret_fields(arg, f"{prefix}{name}.")
        if SECRET_NAME.search(name) and not NOT_SECRETS.search(name):
            yield prefix + name, field.annotation


def test_every_secret_setting_is_a_secretstr() -> None:
    found = dict(secret_fields(Settings))
    assert "api_tokens" in found and "zgw.client_secret" in found
    plain = {name: kind for name, kind in found.items() if SecretStr not in (typing.get_args(kind) or (kind,))}
    assert not plain, f"settings holding secrets as plain text: {plain}"


def test_secrets_never_in_logs_answers_metrics_or_status(settings: Settings, debug_log: io.StringIO,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings.model_copy(update={"api_tokens": SecretStr(f"tip:{API_TOKEN}"),
                                    "notificaties_auth": SecretStr(NRC_AUTH)})
    secrets = {API_TOKEN, NRC_AUTH.split()[1]}
    hub = Hub(s, registry=registry_with(Recorder()))
    texts: list[tuple[str, str]] = []
    near_misses = [f"Bearer {API_TOKEN[:-1]}", f"Bearer {API_TOKEN}x", f"Basic {API_TOKEN}", NRC_AUTH + "x", API_TOKEN]
    good = {"Authorization": f"Bearer {API_TOKEN}"}
    try:
        with TestClient(create_app(hub), raise_server_exceptions=False) as client:
            answers = [client.post("/api/v1/events", json=cloudevent(), headers={"Authorization": auth})
                       for auth in near_misses]
            answers += [client.post("/api/v1/notificaties", json={}, headers={"Authorization": auth})
                        for auth in near_misses]
            answers += [client.post("/api/v1/events", json=cloudevent(), headers=good),
                        client.get("/api/v1/health/ready", headers=good),
                        client.get("/api/v1/deliveries", headers=good), client.get("/metrics", headers=good)]

            def boom(*args: object, **kwargs: object) -> None:
                raise RuntimeError(f"store failed for caller with {s.api_tokens}")

            monkeypatch.setattr(hub.intake, "accept_together", boom)  # what the group commit calls
            answers.append(client.post("/api/v1/events", json=cloudevent(event_id="x-2"), headers=good))
        assert answers[-1].status_code == 500
        texts += [(f"answer {a.request.method} {a.request.url.path} {a.status_code}",
                   json.dumps(dict(a.headers)) + a.text) for a in answers]
    finally:
        hub.close()
    monkeypatch.setenv("AFSPRAKENHUB_DATABASE_URL", s.database_url)
    monkeypatch.setenv("AFSPRAKENHUB_API_TOKENS", f"tip:{API_TOKEN}")
    get_settings.cache_clear()
    try:
        status = CliRunner().invoke(cli, ["status", "--json"])
    finally:
        get_settings.cache_clear()
    texts += [("status --json", status.output), ("settings repr", repr(s) + s.model_dump_json()),
              ("log", debug_log.getvalue())]
    assert '"level": "debug"' in debug_log.getvalue() or '"level": "error"' in debug_log.getvalue()
    hits = find_personal_data(texts, secrets)
    assert not hits, "\n".join(str(h) for h in hits)
