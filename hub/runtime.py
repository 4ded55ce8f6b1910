"""The work queue (dramatiq): stub broker in-process by default, Redis or RabbitMQ when configured."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import dramatiq
import structlog
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select, update

from hub import tracing
from hub.delivery import DeliveryProcessor
from hub.loops import start_loop
from hub.store.tables import Delivery, DeliveryStatus

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.runtime")
QUEUE = "afsprakenhub"
ACTOR = "afsprakenhub_deliver"


def make_broker(url: str) -> dramatiq.Broker:
    """`stub` (or empty) → in-process; `redis://…` → Redis; `amqp://…` → RabbitMQ."""
    if not url or url == "stub":
        return StubBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url)
    raise ValueError(f"unsupported broker URL scheme: {url.split(':', 1)[0]!r} (use stub, redis:// or amqp://)")


class Runtime:
    """Sends deliveries to the queue, runs worker threads and the sweeper."""

    def __init__(self, hub: Hub, broker_url: str, worker_name: str = "worker") -> None:
        self.hub = hub
        self.broker = make_broker(broker_url)
        self.processor = DeliveryProcessor(hub, worker_name)
        self.actor: dramatiq.Actor[..., None] = dramatiq.Actor(
            self._deliver, broker=self.broker, actor_name=ACTOR, queue_name=QUEUE, priority=0,
            options={"max_retries": 0, "time_limit": int(hub.settings.retry.lease_seconds * 1000)},
        )
        self.broker.declare_queue(QUEUE)
        self._worker: dramatiq.Worker | None = None
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None
        # delivery id → (when the sweeper last re-sent it, how often): a delivery still open after a re-send is
        # usually still queued behind a backlog, so each further re-send waits twice as long (bounded queue growth).
        self._resent: dict[int, tuple[datetime, int]] = {}

    @property
    def is_stub(self) -> bool:
        return isinstance(self.broker, StubBroker)

    def _deliver(self, delivery_id: int, traceparent: str | None = None) -> None:
        outcome = self.processor.process(delivery_id, via=traceparent)
        if outcome.retry_in is not None:
            self.enqueue(delivery_id, outcome.retry_in)

    def enqueue(self, delivery_id: int, delay_seconds: float = 0.0, traceparent: str | None = None) -> None:
        """Queue a delivery; losing the message is safe, the sweeper sends it again. The message carries the
        sender's trace context (`traceparent`, else the current span's): the delivery's span links to it."""
        try:
            delay_ms = int(delay_seconds * 1000)
            carried = traceparent or tracing.current_traceparent()
            self.actor.send_with_options(args=(delivery_id,), kwargs={"traceparent": carried} if carried else None,
                                         delay=delay_ms or None)
        except Exception as exc:  # broker down: the row is durable, the sweeper re-sends
            log.warning("enqueue.failed", delivery_id=delivery_id, error=type(exc).__name__)

    def enqueue_many(self, delivery_ids: list[int] | tuple[int, ...], traceparent: str | None = None) -> None:
        for delivery_id in delivery_ids:
            self.enqueue(delivery_id, traceparent=traceparent)

    def sweep(self) -> int:
        """Re-send deliveries whose message was lost: open, due past the grace time, lease expired.

        A delivery this sweeper re-sent before waits step * 2^n before the next re-send (step: the larger of the
        grace time and the sweep interval), so a backlog that takes longer than that to drain is not added to the
        queue again at every sweep.
        """
        now = self.hub.now()
        retry = self.hub.settings.retry
        grace = timedelta(seconds=retry.sweep_grace_seconds)
        step = timedelta(seconds=max(retry.sweep_grace_seconds, retry.sweep_interval_seconds))
        with self.hub.db.unit_of_work() as s:
            candidates = list(s.scalars(select(Delivery.id).where(
                Delivery.status.in_(DeliveryStatus.OPEN),
                Delivery.next_attempt_at <= now - grace,
                (Delivery.leased_until.is_(None)) | (Delivery.leased_until < now),
            ).order_by(Delivery.id).limit(5000)))
            self._resent = {i: self._resent[i] for i in candidates if i in self._resent}  # forget finished ones
            ids = [i for i in candidates
                   if i not in self._resent or now >= self._resent[i][0] + step * 2 ** self._resent[i][1]]
            self._resent.update({i: (now, self._resent.get(i, (now, 0))[1] + 1) for i in ids})
            if ids:
                # Mark them due now, so the next sweep waits a full grace time before sending again.
                s.execute(update(Delivery).where(Delivery.id.in_(ids))
                          .values(next_attempt_at=now, leased_until=None))
        for delivery_id in ids:
            self.enqueue(delivery_id)
        if ids:
            log.info("sweeper.requeued", count=len(ids))
        return len(ids)

    def broker_health(self) -> str:
        """`up`, or `down: <reason>` for the readiness check."""
        try:
            client = getattr(self.broker, "client", None)
            if client is not None:  # Redis
                client.ping()
            elif hasattr(self.broker, "parameters"):  # RabbitMQ
                self.broker.get_declared_queues()
                _ = self.broker.connection  # type: ignore[attr-defined]
            return "up"
        except Exception as exc:
            return f"down: {type(exc).__name__}"

    def start_worker(self, threads: int) -> dramatiq.Worker:
        self._worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)
        self._worker.start()
        return self._worker

    def start_sweeper(self) -> None:
        """The sweeper loop: survives store and broker errors (`hub.loops`), one sweeper at a time per store."""
        interval = self.hub.settings.retry.sweep_interval_seconds

        def sweep_once() -> None:
            if self.hub.locks.acquire("sweeper", self.processor.worker_name, interval * 2):
                self.sweep()

        self._sweeper = start_loop("sweeper", interval, sweep_once, self._stop)

    def join(self, timeout: float = 30.0) -> bool:
        """Wait until the in-process queue is empty (stub broker); True when drained."""
        if isinstance(self.broker, StubBroker):
            try:
                self.broker.join(QUEUE, timeout=int(timeout * 1000))
                if self._worker:
                    self._worker.join()
                return True
            except dramatiq.errors.QueueJoinTimeout:
                return False
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(5.0)
            self._sweeper = None
        if self._worker:
            self._worker.stop(timeout=5000)
            self._worker = None
        self.broker.close()
