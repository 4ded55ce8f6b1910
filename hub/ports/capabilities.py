"""What an appointment register can do: the rows of the capability matrix (README, `status --json`)."""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    """One thing a flow, job or the migration may ask of the register; each adapter declares its set."""

    READ_APPOINTMENT = "read-appointment"  # get_appointment(id)
    LIST_APPOINTMENTS = "list-appointments"  # list_appointments(from_, to, location_id, status)
    LIST_CHANGES_SINCE = "list-changes-since"  # list_appointments(updated_since=…)
    FIND_BY_EXTERNAL_ID = "find-by-external-id"  # find_by_external_id / list_appointments(external_id=…)
    FIND_BY_CASE_REFERENCE = "find-by-case-reference"  # find_by_case_reference / list_appointments(case_reference=…)
    FIND_BY_CUSTOMER = "find-by-customer"  # list_appointments(customer_bsn=…)
    UPSERT_BY_EXTERNAL_ID = "upsert-by-external-id"  # upsert_appointment(external_id, …): create or update
    CREATE = "create"  # create_appointment(data): a new appointment, id chosen by the register; not idempotent
    CANCEL = "cancel"  # cancel_appointment
    COMPLETE = "complete"  # complete_appointment
    CLOSE = "close"  # close_appointment (its zaak was closed)
    CHECK_IN = "check-in"  # check_in_appointment
    STAFFING_BLOCKS = "staffing-blocks"  # list_staffing_blocks / batch_staffing_blocks
    UNAVAILABILITY_BLOCKS = "unavailability-blocks"  # list_unavailability_blocks / batch_unavailability_blocks
    QR_CODE = "qr-code"  # qr_code(id)
    LIST_LOCATIONS = "list-locations"  # list_locations
    LIST_PRODUCTS = "list-products"  # list_products
    LIST_ROOMS = "list-rooms"  # list_rooms
    LIST_EMPLOYEES = "list-employees"  # list_employees


#: Every capability, in the matrix's order.
ALL_CAPABILITIES: frozenset[Capability] = frozenset(Capability)


def missing(needs: frozenset[Capability], has: frozenset[Capability]) -> list[Capability]:
    """What of `needs` is not in `has`, in the enum's order (stable for messages and tests)."""
    return [c for c in Capability if c in needs and c not in has]


__all__ = ["ALL_CAPABILITIES", "Capability", "missing"]
