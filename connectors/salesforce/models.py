"""The Salesforce shapes, defined with the Salesforce port (hub.ports.salesforce_types): re-exported here."""

from hub.ports.salesforce_types import (
    HALTED,
    ApiError,
    ApiUsage,
    FieldDescribe,
    Method,
    ObjectDescribe,
    SalesforceModel,
    Subrequest,
    SubResult,
    halted_only,
    ref_first_record_id,
    ref_id,
)

__all__ = ["HALTED", "ApiError", "ApiUsage", "FieldDescribe", "Method", "ObjectDescribe", "SalesforceModel",
           "SubResult", "Subrequest", "halted_only", "ref_first_record_id", "ref_id"]
