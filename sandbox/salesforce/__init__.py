"""Salesforce simulator (REST subset: OAuth token, query, sObjects, upsert by external id, composite, describe)."""

from sandbox.salesforce.org import Org, SfError
from sandbox.salesforce.schema import FieldDef, ObjectDef, default_schema
from sandbox.salesforce.simulator import CONTACT_MOMENT, SalesforceSimulator

__all__ = ["CONTACT_MOMENT", "FieldDef", "ObjectDef", "Org", "SalesforceSimulator", "SfError", "default_schema"]
