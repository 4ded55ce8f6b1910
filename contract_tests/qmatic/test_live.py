"""Read-only checks against a configured Qmatic Calendar instance (`--live`); every exchange against the contract.

Settings come from the environment, as the hub reads them: AFSPRAKENHUB_REGISTER__QMATIC__BASE_URL and
…__API_KEY. With AFSPRAKENHUB_CONTRACT_QMATIC_APPOINTMENT set to a public id, that appointment is read too.
Nothing is booked or cancelled.
"""

from __future__ import annotations

import os

import pytest

from connectors.qmatic.settings import QmaticSettings
from contract_tests.openapi_check import OpenApiContract
from contract_tests.qmatic.conftest import SPEC, recording_register

pytestmark = pytest.mark.live
PREFIX = "AFSPRAKENHUB_REGISTER__QMATIC__"
REQUIRED = ("BASE_URL", "API_KEY")


def test_live_qmatic_reads() -> None:
    missing = [PREFIX + key for key in REQUIRED if not os.environ.get(PREFIX + key)]
    if missing:
        pytest.fail("--live needs " + ", ".join(missing), pytrace=False)
    settings = QmaticSettings.model_validate({key.lower(): os.environ[PREFIX + key] for key in REQUIRED})
    contract = OpenApiContract.load(SPEC, settings.base_url)
    register, recorder, http = recording_register(settings)
    with http:
        register.authenticate()
        assert register.list_locations(), "Qmatic lists no branches"
        assert register.list_products(), "Qmatic lists no services"
        public_id = os.environ.get("AFSPRAKENHUB_CONTRACT_QMATIC_APPOINTMENT")
        if public_id:
            assert register.get_appointment(public_id).start.utcoffset() is not None
    for request, response in recorder.exchanges:
        contract.check_exchange(request, response)
