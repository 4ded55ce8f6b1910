"""Salesforce-specific metrics: API usage from the `Sforce-Limit-Info` header."""

from __future__ import annotations

from prometheus_client import Gauge

API_USAGE = Gauge("afsprakenhub_salesforce_api_usage",
                  "Salesforce API requests in the org's rolling 24 h window (Sforce-Limit-Info)", ["kind"])
