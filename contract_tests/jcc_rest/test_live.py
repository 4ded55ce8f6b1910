"""Read-only checks against a configured JCC G-Plan REST instance (`--live`); every exchange against the contract.

Settings come from the environment, as the hub reads them: AFSPRAKENHUB_REGISTER__JCC_REST__BASE_URL,
…__CLIENT_ID, …__CLIENT_SECRET (and optionally …__TOKEN_URL, …__SCOPE, …__LANGUAGE). With
AFSPRAKENHUB_CONTRACT_JCC_REST_APPOINTMENT set to an appointment id, that appointment is read too.
Nothing is created or cancelled.
"""

from __future__ import annotations

import os

import pytest

from connectors.jcc_rest.settings import JccRestSettings
from contract_tests.jcc_rest.conftest import SPEC, recording_register
from contract_tests.openapi_check import OpenApiContract

pytestmark = pytest.mark.live
PREFIX = "AFSPRAKENHUB_REGISTER__JCC_REST__"
REQUIRED = ("BASE_URL", "CLIENT_ID", "CLIENT_SECRET")
OPTIONAL = ("TOKEN_URL", "SCOPE", "LANGUAGE")


def test_live_jcc_rest_reads() -> None:
    missing = [PREFIX + key for key in REQUIRED if not os.environ.get(PREFIX + key)]
    if missing:
        pytest.fail("--live needs " + ", ".join(missing), pytrace=False)
    settings = JccRestSettings.model_validate(
        {key.lower(): os.environ[PREFIX + key] for key in (*REQUIRED, *OPTIONAL) if os.environ.get(PREFIX + key)})
    contract = OpenApiContract.load(SPEC, settings.base_url)
    register, recorder, http = recording_register(settings)
    with http:
        register.authenticate()
        assert register.list_locations(), "JCC lists no locations"
        assert register.list_products(), "JCC lists no activities"
        appointment_id = os.environ.get("AFSPRAKENHUB_CONTRACT_JCC_REST_APPOINTMENT")
        if appointment_id:
            appointment = register.get_appointment(appointment_id)
            assert appointment.start.utcoffset() is not None
    api = [(q, r) for q, r in recorder.exchanges if str(q.url).startswith(settings.base_url.rstrip("/"))]
    for request, response in api:
        contract.check_exchange(request, response)
