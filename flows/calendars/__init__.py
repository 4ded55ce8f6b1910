"""The calendars flow: appointments → employee and room Outlook calendars, and busy time → the register.

Importing this package registers the flow `calendars` and the scheduled job `calendars`.
"""

from flows.calendars.forward import FLOW, handle, sync_appointment
from flows.calendars.reverse import JOB, sync_busy_time

__all__ = ["FLOW", "JOB", "handle", "sync_appointment", "sync_busy_time"]
