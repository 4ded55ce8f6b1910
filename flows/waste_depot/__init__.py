"""Flows of the waste-depot gate (milieustraat): bookings kept for the gate, visits recorded once, jobs.

`waste_depot_bookings` stores waste-depot appointments from the events; `waste_depot_visit` turns an allowed
scan into `checked_in` in the register plus a contact moment; the jobs refresh the pass list and read the
register as a safety net. The access check itself (`gate.check_access`) answers from each process's in-memory
gate index (`index`), and first scans are stored by a group commit (`admit`).
"""

from __future__ import annotations

from flows.waste_depot import bookings, jobs, visit

__all__ = ["bookings", "jobs", "visit"]
