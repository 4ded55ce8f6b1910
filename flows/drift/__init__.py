"""Drift reconciliation: the register against the peers; importing registers the `drift` job and the
`drift_repair` flow."""

from flows.drift.flow import FLOW, handle
from flows.drift.job import JOB, reconcile

__all__ = ["FLOW", "JOB", "handle", "reconcile"]
