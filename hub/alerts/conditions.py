"""Alert conditions: what is wrong now, in Dutch, from counts and names only (never personal data)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

from croniter import croniter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from hub.breaker import states
from hub.loops import LOOPS, LoopRegistry
from hub.store.tables import Delivery, DeliveryStatus, JobState

if TYPE_CHECKING:
    from hub.bootstrap import Hub

Kind = Literal["peer_open", "dead_letters", "job_missed", "loop_stopped", "intake_shedding", "test"]
GLOBAL = "global"


class Condition(BaseModel):
    """One thing wrong now: `key` identifies it while it lasts; `summary` is Dutch and free of personal data."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: Kind
    summary: str
    console_path: str = "/"
    #: `global`: read from the store, any process may resolve it; otherwise the process whose loop it is.
    scope: str = GLOBAL


#: A source of conditions; `register_source` adds one (e.g. the per-peer circuit breaker).
Source = Callable[["Hub"], list[Condition]]
SOURCES: dict[str, Source] = {}


def register_source(name: str) -> Callable[[Source], Source]:
    def add(fn: Source) -> Source:
        SOURCES[name] = fn
        return fn

    return add


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@register_source("dead_letters")
def dead_letters(hub: Hub) -> list[Condition]:
    """Dead letters above the threshold of one flow, or of all flows together."""
    settings = hub.settings.alerts
    with hub.db.reading() as s:
        counts: dict[str, int] = {flow: n for flow, n in s.execute(
            select(Delivery.flow, func.count()).where(Delivery.status == DeliveryStatus.DEAD).group_by(Delivery.flow))}
    found: list[Condition] = []
    for flow, count in sorted(counts.items()):
        limit = settings.flow_threshold(flow)
        if count > limit:
            found.append(Condition(
                key=f"dead-letters:{flow}", kind="dead_letters",
                summary=f"{_plural(count, 'dood bericht', 'dode berichten')} in flow {flow} (drempel {limit})",
                console_path="/dead-letters?" + urlencode({"status": "dead", "flow": flow})))
    total = sum(counts.values())
    if total > settings.dead_letters_total:
        found.append(Condition(key="dead-letters:total", kind="dead_letters",
                               summary=f"{_plural(total, 'dood bericht', 'dode berichten')} in alle flows samen "
                                       f"(drempel {settings.dead_letters_total})",
                               console_path="/dead-letters?status=dead"))
    return found


def missed_slot(schedule: str, last_slot: datetime | None, now: datetime, grace: timedelta) -> datetime | None:
    """The slot a job should have run by now (at least `grace` ago) and has not; None when it is on time."""
    due: datetime = croniter(schedule, now - grace + timedelta(seconds=1)).get_prev(datetime)
    return due if last_slot is None or last_slot < due else None


@register_source("jobs")
def missed_jobs(hub: Hub) -> list[Condition]:
    """Scheduled jobs whose slot passed `job_grace_minutes` ago without a run, once a scheduler is running.

    A job that never ran counts only when a scheduler has run some slot (a hub without a scheduler is quiet).
    """
    from hub.scheduler import JOBS, schedule_of

    now = hub.now()
    grace = timedelta(minutes=hub.settings.alerts.job_grace_minutes)
    with hub.db.reading() as s:
        slots: dict[str, datetime | None] = {job: slot for job, slot in s.execute(
            select(JobState.job, JobState.last_slot))}
    if not any(slots.values()):
        return []
    found: list[Condition] = []
    for job in sorted(JOBS.values(), key=lambda j: j.name):
        due = missed_slot(schedule_of(hub, job), slots.get(job.name), now, grace)
        if due is not None:
            found.append(Condition(key=f"job-missed:{job.name}", kind="job_missed",
                                   summary=f"geplande taak {job.name} is niet gedraaid in het tijdvak van "
                                           f"{due:%Y-%m-%d %H:%M} UTC", console_path="/jobs"))
    return found


def stopped_loops(hub: Hub, registry: LoopRegistry | None = None) -> list[Condition]:
    """This process's background loops without a completed pass for too long (stuck or failing)."""
    return [Condition(key=f"loop-stopped:{hub.worker_name}:{name}", kind="loop_stopped", scope=hub.worker_name,
                      summary=f"achtergrondtaak {name} in proces {hub.worker_name} maakt geen rondes meer",
                      console_path="/")
            for name in (registry or LOOPS).stale()]


@register_source("intake")
def intake_shedding(hub: Hub) -> list[Condition]:
    """The intake answers 429 (load shedding) while pending deliveries are above `intake_max_backlog`."""
    with hub.db.reading() as s:
        pending = s.scalar(select(func.count()).select_from(Delivery)
                           .where(Delivery.status == DeliveryStatus.PENDING)) or 0
    bound = hub.settings.intake_max_backlog
    if pending <= bound:
        return []
    return [Condition(key="intake-shedding", kind="intake_shedding",
                      summary=f"de intake weigert berichten (429): {pending} wachtende leveringen, grens {bound}",
                      console_path="/")]


@register_source("peers")
def open_peers(hub: Hub) -> list[Condition]:
    """Peers whose circuit breaker opened (or is probing half-open) after repeated transient failures."""
    found: list[Condition] = []
    for peer in states(hub):
        if peer.state in ("open", "half_open"):
            found.append(Condition(key=f"peer-open:{peer.peer}", kind="peer_open",
                                   summary=f"koppeling met {peer.peer} staat open (stroomonderbreker): leveringen "
                                           f"wachten tot {peer.peer} weer antwoordt",
                                   console_path="/peers"))
    return found


def collect(hub: Hub, registry: LoopRegistry | None = None) -> list[Condition]:
    """Every condition that holds now (store-wide ones plus this process's loops)."""
    found: list[Condition] = []
    for source in SOURCES.values():
        found.extend(source(hub))
    found.extend(stopped_loops(hub, registry))
    return found


__all__ = ["GLOBAL", "SOURCES", "Condition", "collect", "missed_slot", "register_source"]
