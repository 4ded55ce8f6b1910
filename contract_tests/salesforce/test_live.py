"""Live preflight (`afsprakenhub contract-test --live --system salesforce`): describe the configured objects in
the real org and check every mapped field — present, writable, and the external id marked External ID + Unique.

Read-only (describe calls only). Credentials from the environment, as the hub reads them:
AFSPRAKENHUB_SALESFORCE__LOGIN_URL, …__AUTH, …__CLIENT_ID, …__CLIENT_SECRET (client_credentials), or
…__USERNAME with …__PASSWORD/…__SECURITY_TOKEN (password) or …__PRIVATE_KEY_FILE (jwt_bearer);
optionally …__INSTANCE_URL, …__API_VERSION, …__MAPPING_FILE.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from connectors.salesforce import ObjectDescribe, SalesforceClient, SalesforceSettings
from contract_tests.salesforce.preflight import describe_all, field_problems
from mappings.salesforce import FieldRequirement, load_mapping, required_fields

pytestmark = pytest.mark.live
PREFIX = "AFSPRAKENHUB_SALESFORCE__"
MAPPING = load_mapping(os.environ.get(PREFIX + "MAPPING_FILE"))


@pytest.fixture(scope="module")
def live_settings() -> SalesforceSettings:
    if not os.environ.get(PREFIX + "LOGIN_URL") or not os.environ.get(PREFIX + "CLIENT_ID"):
        pytest.fail(f"--live needs {PREFIX}LOGIN_URL and {PREFIX}CLIENT_ID (and the grant's secrets)", pytrace=False)
    values = {k.removeprefix(PREFIX).lower(): v for k, v in os.environ.items() if k.startswith(PREFIX)}
    return SalesforceSettings.model_validate(values)


@pytest.fixture(scope="module")
def described(live_settings: SalesforceSettings) -> Iterator[dict[str, ObjectDescribe | None]]:
    client = SalesforceClient(live_settings)
    try:
        yield describe_all(client, MAPPING)
    finally:
        client.close()


@pytest.mark.parametrize("requirement", required_fields(MAPPING), ids=lambda r: f"{r.sobject}.{r.field}")
def test_live_mapped_field(requirement: FieldRequirement, described: dict[str, ObjectDescribe | None]) -> None:
    problems = field_problems(requirement, described[requirement.sobject])
    assert not problems, "; ".join(problems)
