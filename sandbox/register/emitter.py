"""Posts the register's CloudEvents to the hub the way TIP would: an outbox, one sender, retries."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass

import httpx

from hub.backoff import backoff_seconds, parse_retry_after
from hub.model import CloudEvent

CE_JSON = "application/cloudevents+json"
_RETRYABLE = frozenset({408, 425, 429})


@dataclass(frozen=True)
class EmitterStats:
    """Counters since start: events delivered, given up on, sent twice, and extra attempts."""

    sent: int
    failed: int
    duplicated: int
    retried: int
    pending: int


class EventEmitter:
    """Outbox plus a sender thread posting to `{hub_url}/api/v1/events` with a bearer token.

    One event at a time, retried with backoff on transport errors, 5xx and 429 (honouring
    Retry-After), so events of an appointment arrive in order. Chaos knobs: `duplicate_rate`
    sends some events twice, `shuffle` sends what is waiting in the outbox in random order.
    Without a hub URL nothing is posted; every event is always kept in `emitted`.
    """

    def __init__(self, hub_url: str | None = None, hub_token: str | None = None, *, seed: int = 0,
                 duplicate_rate: float = 0.0, shuffle: bool = False, max_attempts: int = 8,
                 backoff_base: float = 0.05, backoff_cap: float = 5.0, timeout: float = 10.0) -> None:
        self.hub_url = hub_url.rstrip("/") if hub_url else None
        self.hub_token = hub_token
        self.duplicate_rate = duplicate_rate
        self.shuffle = shuffle
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout
        self.emitted: list[CloudEvent] = []
        self.dead: list[tuple[CloudEvent, str]] = []
        self._rng = random.Random(seed)
        self._outbox: deque[CloudEvent] = deque()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._paused = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sent = self._failed = self._duplicated = self._retried = 0

    @property
    def events_url(self) -> str | None:
        return f"{self.hub_url}/api/v1/events" if self.hub_url else None

    def configure(self, hub_url: str | None, hub_token: str | None) -> None:
        """Point at a (new) hub; takes effect for the next event sent."""
        with self._cond:
            self.hub_url = hub_url.rstrip("/") if hub_url else None
            self.hub_token = hub_token
            self._cond.notify_all()

    def emit(self, event: CloudEvent) -> None:
        """Keep the event and, with a hub URL, queue it for sending (starts the sender if needed)."""
        with self._cond:
            self.emitted.append(event)
            if self.hub_url is None:
                return
            self._outbox.append(event)
            self._cond.notify_all()
        self.start()

    def start(self) -> None:
        """Start the sender thread (idempotent)."""
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="register-emitter", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the sender; events still in the outbox stay there."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._thread = None

    def pause(self) -> None:
        """Hold events in the outbox (e.g. to let `shuffle` reorder several)."""
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the outbox is empty and nothing is in flight; returns whether it drained."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._outbox or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def stats(self) -> EmitterStats:
        with self._cond:
            return EmitterStats(self._sent, self._failed, self._duplicated, self._retried,
                                len(self._outbox) + self._in_flight)

    # -- sender --------------------------------------------------------------------------------
    def _next(self) -> CloudEvent | None:
        with self._cond:
            while not self._stop.is_set() and (self._paused or not self._outbox):
                self._cond.wait()
            if self._stop.is_set():
                return None
            if self.shuffle and len(self._outbox) > 1:
                pending = list(self._outbox)
                self._rng.shuffle(pending)
                self._outbox = deque(pending)
            self._in_flight += 1
            return self._outbox.popleft()

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while (event := self._next()) is not None:
                try:
                    ok = self._deliver(client, event)
                    with self._cond:
                        duplicate = ok and self._rng.random() < self.duplicate_rate
                    if duplicate:
                        self._deliver(client, event, duplicate=True)
                finally:
                    with self._cond:
                        self._in_flight -= 1
                        self._cond.notify_all()

    def _deliver(self, client: httpx.Client, event: CloudEvent, *, duplicate: bool = False) -> bool:
        """Post one event until it is accepted, refused for good, or attempts run out."""
        body = event.model_dump_json(exclude_none=True)
        reason = "no attempt"
        for attempt in range(1, self.max_attempts + 1):
            if self._stop.is_set():
                return False if duplicate else self._put_back(event)
            retry_after: float | None = None
            with self._cond:
                url, token = self.events_url, self.hub_token
            if url is None:
                reason = "no hub URL"
                break
            headers = {"Content-Type": CE_JSON}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    with self._cond:
                        if duplicate:
                            self._duplicated += 1
                        else:
                            self._sent += 1
                    return True
                reason = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code not in _RETRYABLE:
                    break
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempt < self.max_attempts:
                with self._cond:
                    self._retried += 1
                    delay = backoff_seconds(attempt, self.backoff_base, self.backoff_cap, retry_after, self._rng)
                if self._stop.wait(delay):
                    return False if duplicate else self._put_back(event)
        if not duplicate:
            with self._cond:
                self._failed += 1
                self.dead.append((event, reason))
        return False

    def _put_back(self, event: CloudEvent) -> bool:
        """Stopping: the event goes back to the front of the outbox, unsent."""
        with self._cond:
            self._outbox.appendleft(event)
        return False
