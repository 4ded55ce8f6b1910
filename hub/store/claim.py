"""PostgreSQL: a delivery's claim, its appointment's order lock and its version guard in one statement.

One round trip in autocommit instead of BEGIN, read, lease, lock (two statements when new), guard read and
COMMIT (issue 25: a worker waited 35-40 % of its time on store round trips). The statement leases the
delivery (only when open, due and not leased), joins what the flow needs from the inbox, takes or renews the
order lock `order:<group>:<subject>` (the flow's own name, or the group in `b_groups`: flow → group, hub.registry
FlowSpec.order_with) (or steals it once expired and its holder is no longer open:
hub.locks.HOLDER_OPEN), reads the flow's applied version and all
links of the appointment (`links`: [peer, remote id, version, hash, data] each; hub.delivery_links).
A delivery whose lock someone else holds comes back with `locked` false and is given back (`UNCLAIM`).
"""

from __future__ import annotations

from sqlalchemy import Integer, String, bindparam, text
from sqlalchemy.types import JSON

from hub.store.tables import DeliveryStatus, UtcDateTime

CLAIM = text("""
WITH claimed AS (
    UPDATE deliveries SET leased_until = :b_until, attempts = attempts + 1, updated_at = :b_now
    WHERE id = :b_id AND status IN :b_open AND (leased_until IS NULL OR leased_until < :b_now)
      AND next_attempt_at <= :b_due
    RETURNING id, flow, inbox_id, attempts, replays
), event AS (
    SELECT c.flow, c.inbox_id, c.attempts, c.replays, i.subject, i.version, i.payload, i.caller, i.received_at,
           i.traceparent, i.tracestate, i.caller_traceparent,
           CASE WHEN i.subject IS NULL THEN NULL
                ELSE 'order:' || COALESCE(CAST(:b_groups AS json) ->> c.flow, c.flow) || ':' || i.subject
           END AS lock_name
    FROM claimed c JOIN inbox i ON i.id = c.inbox_id
), locked AS (
    INSERT INTO locks (name, holder, expires_at)
    SELECT lock_name, :b_holder, :b_until FROM event WHERE lock_name IS NOT NULL
    ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
    WHERE locks.holder = EXCLUDED.holder OR (locks.expires_at < :b_now AND NOT EXISTS (
        SELECT 1 FROM deliveries h WHERE h.id = CAST(substr(locks.holder, 10) AS INTEGER) AND h.status IN :b_open))
    RETURNING name
)
SELECT e.flow, e.inbox_id, e.attempts, e.replays, e.subject, e.version, e.payload, e.caller, e.received_at,
       e.traceparent, e.tracestate, e.caller_traceparent, e.lock_name,
       e.lock_name IS NULL OR EXISTS (SELECT 1 FROM locked) AS locked,
       (SELECT l.last_version FROM links l WHERE l.appointment_id = e.subject AND l.peer = :b_guard || e.flow)
           AS applied,
       (SELECT json_agg(json_build_array(l.peer, l.remote_id, l.last_version, l.content_hash, l.data))
        FROM links l WHERE l.appointment_id = e.subject) AS links
FROM event e
""").bindparams(
    bindparam("b_open", value=list(DeliveryStatus.OPEN), expanding=True),
    bindparam("b_now", type_=UtcDateTime()), bindparam("b_due", type_=UtcDateTime()),
    bindparam("b_until", type_=UtcDateTime()),
).columns(flow=String(), inbox_id=Integer(), attempts=Integer(), replays=Integer(), subject=String(),
          version=Integer(), payload=JSON(none_as_null=True), caller=String(), received_at=UtcDateTime(),
          traceparent=String(), tracestate=String(), caller_traceparent=String(), lock_name=String(), applied=Integer(),
          links=JSON(none_as_null=True))



#: A finished delivery (PostgreSQL): its outcome, the flow's version guard (never lowered), the flow's link
#: writes (`b_links`, a JSON array of link rows; a field left null keeps its stored value, a version never goes
#: down), the order lock's release and its event's inbox row lock in one statement. Then, in the same
#: transaction, the finisher marks the event processed when no delivery of it is open (`MARK_PROCESSED`, a new
#: statement: holding the row lock, it sees what the other finishers of the event committed).
FINISH = text("""
WITH done AS (
    UPDATE deliveries SET status = :b_status, leased_until = NULL, updated_at = :b_now, finished_at = :b_now,
        last_error = CASE WHEN :b_ok THEN last_error ELSE :b_error END,
        error_class = CASE WHEN :b_ok THEN error_class ELSE :b_class END,
        peer = CASE WHEN :b_ok THEN peer ELSE :b_peer END
    WHERE id = :b_id
    RETURNING id
), guard AS (
    INSERT INTO links (appointment_id, peer, last_version, updated_at)
    SELECT :b_subject, :b_guard_peer, :b_version, :b_now WHERE :b_guard
    ON CONFLICT (appointment_id, peer) DO UPDATE SET updated_at = EXCLUDED.updated_at,
        last_version = CASE WHEN links.last_version IS NULL OR EXCLUDED.last_version > links.last_version
                            THEN EXCLUDED.last_version ELSE links.last_version END
    RETURNING 1
), linked AS (
    INSERT INTO links (appointment_id, peer, remote_id, last_version, content_hash, data, updated_at)
    SELECT r.appointment_id, r.peer, r.remote_id, r.last_version, r.content_hash, r.data, :b_now
    FROM json_populate_recordset(NULL::links, :b_links) r
    ON CONFLICT (appointment_id, peer) DO UPDATE SET updated_at = EXCLUDED.updated_at,
        remote_id = COALESCE(EXCLUDED.remote_id, links.remote_id),
        content_hash = COALESCE(EXCLUDED.content_hash, links.content_hash),
        data = COALESCE(EXCLUDED.data, links.data),
        last_version = CASE WHEN links.last_version IS NULL OR EXCLUDED.last_version > links.last_version
                            THEN COALESCE(EXCLUDED.last_version, links.last_version) ELSE links.last_version END
    RETURNING 1
), unlocked AS (
    DELETE FROM locks WHERE name = :b_lock AND holder = :b_holder RETURNING 1
), taken AS (
    SELECT id FROM inbox WHERE id = :b_inbox FOR UPDATE
)
SELECT (SELECT count(*) FROM done) AS done, (SELECT count(*) FROM guard) AS guarded,
       (SELECT count(*) FROM linked) AS linked, (SELECT count(*) FROM unlocked) AS unlocked,
       (SELECT count(*) FROM taken) AS taken
""").bindparams(bindparam("b_now", type_=UtcDateTime()), bindparam("b_links", type_=JSON(none_as_null=True)))

#: After `SELECT … FOR UPDATE` of the inbox row: processed once no delivery of the event is open.
MARK_PROCESSED = text("""
UPDATE inbox SET processed_at = :b_now
WHERE id = :b_inbox AND processed_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM deliveries WHERE inbox_id = :b_inbox AND status IN :b_open)
""").bindparams(bindparam("b_now", type_=UtcDateTime()),
                bindparam("b_open", value=list(DeliveryStatus.OPEN), expanding=True))
__all__ = ["CLAIM", "FINISH", "MARK_PROCESSED"]
