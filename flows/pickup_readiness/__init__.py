"""Pick-up readiness (BRIEF §3.6): Key2Burgerzaken document status → TIP events and pick-up appointments.

- job `pickups` (`afsprakenhub sync pickups [--dry-run]`, every 15 minutes): ready → `document.gereed` plus
  booking access; handed out → complete the open pick-up appointment; lapsed → cancel pending pick-ups
  (no customer notification) and `document.vervallen`; ready for N days → one `document.herinnering`;
- flow `pickup_readiness`: a pick-up appointment booked for a document not ready by then → `uitreiking.verzetten`.
"""

from __future__ import annotations

from flows.pickup_readiness.appointments import check_pickup
from flows.pickup_readiness.config import APPOINTMENT_PEER, DOCUMENT_PEER, FLOW, JOB
from flows.pickup_readiness.job import sync_pickups

__all__ = ["APPOINTMENT_PEER", "DOCUMENT_PEER", "FLOW", "JOB", "check_pickup", "sync_pickups"]
