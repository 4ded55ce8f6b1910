"""A delivery as a processing: its span (child of the event's stored trace context) and its LDV record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry.trace import SpanKind
from sqlalchemy import Connection, insert

from hub import ldv, tracing
from hub.audit import AUDIT
from hub.ldv import Processing
from hub.store.tables import DeliveryStatus

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.delivery import Claim

#: Delivery status → LDV status: a skipped (stale) snapshot was handled without error, so `Unset`.
_LDV_STATUS = {DeliveryStatus.SUCCEEDED: ldv.OK, DeliveryStatus.SKIPPED: ldv.UNSET,
               DeliveryStatus.FAILED: ldv.ERROR, DeliveryStatus.DEAD: ldv.ERROR}


def caller_uri(caller: str) -> str:
    """The LDV `foreign_operation.processor` of an API caller (its credential's name)."""
    return f"urn:afsprakenhub:caller:{caller}"


@contextmanager
def delivery_processing(hub: Hub, claim: Claim, via: str | None = None) -> Iterator[Processing]:
    """The delivery's span, current for the block (peer calls become its children and carry its trace), and
    its `Processing` (flow, activity, data subject, the caller's operation) for the records written inside.

    `via` is the trace context the queue message carried (intake, the sweeper, a replay, a retry): a link.
    """
    event_type = (claim.payload or {}).get("type")
    attributes = {"afsprakenhub.flow": claim.flow, "afsprakenhub.delivery_id": claim.delivery_id,
                  "afsprakenhub.attempt": claim.attempt}
    if isinstance(event_type, str):
        attributes["afsprakenhub.event_type"] = event_type[:200]
    with tracing.span_in(f"deliver {claim.flow}", parent=claim.traceparent, parent_state=claim.tracestate,
                         kind=SpanKind.CONSUMER, attributes=attributes,
                         links=[via] if via and via != claim.traceparent else ()) as span:
        sc = span.get_span_context()
        parent = tracing.ids_of(claim.traceparent)
        caller = tracing.ids_of(claim.caller_traceparent)
        processing = Processing(
            name=f"{claim.flow}: {event_type if isinstance(event_type, str) else 'event'}"[:200],
            activity=hub.settings.ldv.activity_for(claim.flow), subject=ldv.subject_of_payload(claim.payload),
            trace_id=f"{sc.trace_id:032x}", span_id=f"{sc.span_id:016x}", parent_span_id=parent[1] if parent else None,
            start_time=hub.now(), foreign_trace_id=caller[0] if caller else None,
            foreign_span_id=caller[1] if caller else None, foreign_processor=caller_uri(claim.caller))
        with ldv.running(processing):
            yield processing


def log_delivery(conn: Connection, hub: Hub, claim: Claim, status: str) -> None:
    """The running delivery's LDV record and its flow's audit records (`Claim.audit_rows`), in the transaction
    that records its outcome (all or none)."""
    processing = ldv.current()
    if processing is None:
        if claim.audit_rows:
            try:
                conn.execute(insert(AUDIT), claim.audit_rows)
            except Exception as exc:
                raise ldv.ProcessingLogError(exc) from exc
        return
    spec = hub.registry.flows.get(claim.flow)
    references = {"deliveryId": claim.delivery_id, "attempt": claim.attempt,
                  "correlationId": (claim.payload or {}).get("id") or f"inbox-{claim.inbox_id}"}
    if claim.subject:
        references["appointmentId"] = claim.subject
    hub.audit.record_processing(conn, processing, outcome=status, status=_LDV_STATUS.get(status, ldv.UNSET),
                                actor=f"flow:{claim.flow}", flow=claim.flow,
                                purpose=spec.purpose if spec else claim.flow, references=references,
                                before=claim.audit_rows)
