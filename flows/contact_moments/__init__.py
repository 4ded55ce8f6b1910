"""Flow: every booking, change, cancellation and visit is a contact moment (BRIEF §3.1).

Consumes every appointment event. The snapshot implies its contact moments (`mappings.salesforce.kinds_for`),
each upserted by the key `<appointmentId>:<kind>` into Salesforce and, when enabled, the Klantinteracties API.

Version guard: per contact moment instead of per appointment (`ordered=False`). Each moment's link records the
version it was written from, and an older snapshot never overwrites it; but an older event may still add a
moment no newer snapshot implies (a `rescheduled` arriving after the check-in), so out-of-order delivery ends in
exactly the state of in-order delivery. The per-appointment lock of the runtime still serialises deliveries.
"""

from __future__ import annotations

from flows.contact_moments.flow import FLOW, handle, mapping_for

__all__ = ["FLOW", "handle", "mapping_for"]
