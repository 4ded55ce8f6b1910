"""Load: upsert planned appointments into the register by externalId `jcc:<appID>`, notifications off.

Day by day, in batches: each batch's results are committed to `mig_loaded` (with the content hash)
before the next, and a day is checkpointed once all its appointments are in. A crash (even SIGKILL)
resumes at the first unfinished day, skipping what is already recorded; an appointment upserted but
not yet recorded is upserted again, which the register answers idempotently (same externalId and
Idempotency-Key), so reruns create no duplicates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import and_, or_, select

from hub.errors import DeliveryError
from hub.model import Appointment
from hub.ports.register import UpsertResult
from migration.context import MigrationContext
from migration.db import load_errors, loaded, now, planned
from migration.progress import bar

STEP = "load"
WRITE_ACTIONS = ("create", "update")


class RegisterWriter(Protocol):
    """What load needs of the register (`hub.ports.register.BulkRegister`)."""

    async def upsert_appointments(self, items: Iterable[tuple[str, Appointment]],
                                  notify_customer: bool = False) -> list[UpsertResult | DeliveryError]: ...


def _pending_filter() -> Any:
    return and_(planned.c.action.in_(WRITE_ACTIONS),
                or_(loaded.c.external_id.is_(None), loaded.c.content_hash != planned.c.content_hash))


def _pending_query(day: str | None) -> Any:
    query = (select(planned.c.external_id, planned.c.day, planned.c.body, planned.c.content_hash, planned.c.action)
             .select_from(planned.outerjoin(loaded, loaded.c.external_id == planned.c.external_id))
             .where(_pending_filter()))
    return query if day is None else query.where(planned.c.day == day)


def pending_count(ctx: MigrationContext) -> Counter[str]:
    """Per action, how many planned appointments are not (or not in this version) in the register yet."""
    with ctx.staging.engine.connect() as conn:
        return Counter(r.action for r in conn.execute(_pending_query(None)))


async def load(ctx: MigrationContext, writer: RegisterWriter | None, *, dry_run: bool = False,
               batch_size: int | None = None) -> dict[str, Any]:
    """Upsert what plan marked create/update and is not loaded yet; counts (and would-be counts on a dry run)."""
    staging = ctx.staging
    size = batch_size or ctx.settings.batch_size
    pending = pending_count(ctx)
    total = sum(pending.values())
    summary: dict[str, Any] = {"step": STEP, "dryRun": dry_run, "pending": total,
                               "pendingCreate": pending["create"], "pendingUpdate": pending["update"]}
    if dry_run or total == 0:
        return {**summary, "loaded": 0, "failed": 0, "daysResumedPast": 0}
    if writer is None:
        raise ValueError("a register writer is needed unless dry_run")
    with staging.engine.connect() as conn:
        days = [r.day for r in conn.execute(select(planned.c.day).where(planned.c.action.in_(WRITE_ACTIONS))
                                            .distinct().order_by(planned.c.day))]
    done = staging.done(STEP)
    staging.clear(load_errors)  # failures of an earlier run are tried again
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    with bar("load", total, enabled=ctx.progress) as tick:
        for day in days:
            key = day or "(no day)"
            if key in done:
                counts["daysResumedPast"] += 1
                continue
            failed_today = 0
            while True:
                with staging.engine.connect() as conn:
                    rows = list(conn.execute(_pending_query(day).order_by(planned.c.external_id).limit(size)
                                             .where(~planned.c.external_id.in_(
                                                 select(load_errors.c.external_id)))))
                if not rows:
                    break
                items = [(r.external_id, Appointment.model_validate_json(r.body)) for r in rows]
                results = await writer.upsert_appointments(items, notify_customer=False)
                ok_rows: list[dict[str, Any]] = []
                bad_rows: list[dict[str, Any]] = []
                for r, result in zip(rows, results, strict=True):
                    if isinstance(result, DeliveryError):
                        bad_rows.append({"external_id": r.external_id, "reason": str(result), "at": now()})
                        reasons[str(result)] += 1
                    else:
                        ok_rows.append({"external_id": r.external_id, "content_hash": r.content_hash,
                                        "register_id": result.appointment.id,
                                        "result": "created" if result.created else "updated", "loaded_at": now()})
                        counts["created" if result.created else "updated"] += 1
                with staging.engine.begin() as conn:
                    staging.upsert(conn, loaded, ok_rows)
                    staging.upsert(conn, load_errors, bad_rows)
                counts["failed"] += len(bad_rows)
                failed_today += len(bad_rows)
                tick(len(rows))
            if failed_today == 0:
                with staging.engine.begin() as conn:
                    staging.mark(conn, STEP, key, {})
            # appointments that failed stay pending (and in mig_load_error): the next run tries them again
    return {**summary, "loaded": counts["created"] + counts["updated"], "created": counts["created"],
            "updated": counts["updated"], "failed": counts["failed"], "failureReasons": dict(reasons.most_common(10)),
            "daysResumedPast": counts["daysResumedPast"]}


__all__ = ["STEP", "WRITE_ACTIONS", "RegisterWriter", "load", "pending_count"]
