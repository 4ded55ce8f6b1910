"""The go-live preflight: describe the configured objects and report every mapped field that will not work."""

from __future__ import annotations

from connectors.salesforce import ObjectDescribe, SalesforceClient
from hub.errors import PermanentError
from mappings.salesforce import FieldRequirement, SalesforceMapping, required_fields


def field_problems(requirement: FieldRequirement, described: ObjectDescribe | None) -> list[str]:
    """What is wrong with one mapped field in the org (empty: fine)."""
    where = f"{requirement.sobject}.{requirement.field}"
    if described is None:
        return [f"{requirement.sobject}: object missing or not accessible"]
    found = described.field(requirement.field)
    if found is None:
        return [f"{where}: field missing or not visible to the integration user"]
    problems = []
    if requirement.create and not found.createable:
        problems.append(f"{where}: not createable")
    if requirement.update and not found.updateable:
        problems.append(f"{where}: not updateable")
    if requirement.external_id and not found.external_id:
        problems.append(f"{where}: not marked External ID")
    if requirement.external_id and not found.unique:
        problems.append(f"{where}: not marked Unique")
    return problems


def describe_all(client: SalesforceClient, mapping: SalesforceMapping) -> dict[str, ObjectDescribe | None]:
    out: dict[str, ObjectDescribe | None] = {}
    for sobject in sorted({r.sobject for r in required_fields(mapping)}):
        try:
            out[sobject] = client.describe(sobject)
        except PermanentError:
            out[sobject] = None
    return out


def preflight(client: SalesforceClient, mapping: SalesforceMapping) -> list[str]:
    """Every problem of every mapped field, in mapping order."""
    described = describe_all(client, mapping)
    return [p for r in required_fields(mapping) for p in field_problems(r, described[r.sobject])]
