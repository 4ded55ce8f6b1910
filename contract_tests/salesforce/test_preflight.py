"""The go-live preflight against the simulated org: a correct org passes, a wrong one is reported field by field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.salesforce import SalesforceClient, SalesforceSettings
from contract_tests.salesforce.preflight import preflight
from mappings.salesforce import load_mapping
from sandbox.salesforce import SalesforceSimulator
from sandbox.server import SandboxServer


@pytest.fixture
def org() -> Iterator[tuple[SalesforceSimulator, SalesforceClient]]:
    sim = SalesforceSimulator()
    with SandboxServer(sim) as server:
        client = SalesforceClient(SalesforceSettings(login_url=server.url("/salesforce")))
        yield sim, client
        client.close()


def test_the_sandbox_org_fits_the_packaged_mapping(org: tuple[SalesforceSimulator, SalesforceClient]) -> None:
    _, client = org
    assert preflight(client, load_mapping()) == []


def test_every_problem_is_reported(org: tuple[SalesforceSimulator, SalesforceClient]) -> None:
    sim, client = org
    moment = sim.org.schema["contactmoment__c"]
    moment.without_field("Status__c")
    moment.change_field("Extern_Id__c", external_id=False, unique=False)
    moment.change_field("Onderwerp__c", updateable=False)
    sim.org.schema["account"].without_field("KvK_Nummer__c")
    problems = preflight(client, load_mapping())
    assert problems == [
        "Contactmoment__c.Extern_Id__c: not marked External ID",
        "Contactmoment__c.Extern_Id__c: not marked Unique",
        "Contactmoment__c.Onderwerp__c: not updateable",
        "Contactmoment__c.Status__c: field missing or not visible to the integration user",
        "Account.KvK_Nummer__c: field missing or not visible to the integration user",
    ]
