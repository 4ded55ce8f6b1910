"""The same deliveries through Redis and RabbitMQ as through the in-process broker."""

from __future__ import annotations

import pytest

from hub import operations
from hub.bootstrap import Hub
from hub.config import Settings
from hub.model import parse_event
from hub.runtime import make_broker
from tests.conftest import RABBITMQ_URL, REDIS_URL
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with, transient, wait_for


def _broker_url(kind: str) -> str:
    url = {"redis": REDIS_URL, "rabbitmq": RABBITMQ_URL}[kind]
    if not url:
        pytest.skip(f"{kind} not configured: set AFSPRAKENHUB_TEST_{kind.upper()}_URL")
    return url


def _purge_queue(url: str) -> None:
    broker = make_broker(url)
    broker.declare_queue("afsprakenhub")
    broker.flush_all()
    broker.close()


@pytest.mark.parametrize("kind", [pytest.param("redis", marks=pytest.mark.redis),
                                  pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
def test_deliveries_through_real_broker(kind: str, settings: Settings, recorder: Recorder) -> None:
    url = _broker_url(kind)
    _purge_queue(url)
    recorder.failures = [transient("first try fails")]
    hub = Hub(settings.model_copy(update={"broker_url": url}), registry=registry_with(recorder))
    try:
        assert hub.runtime.broker_health() == "up"
        accepted = hub.intake.accept([parse_event(cloudevent(appointment_id=f"A-{i}")) for i in range(10)], "t")
        hub.runtime.start_worker(4)
        for a in accepted:
            hub.runtime.enqueue_many(a.delivery_ids)
        assert wait_for(lambda: operations.status(hub)["deliveries"]["recorder"]["succeeded"] == 10, timeout=60)
        assert sorted(recorder.applied) == sorted((f"A-{i}", 1) for i in range(10))
        assert recorder.calls == 11  # one transient failure, retried through the broker's delay queue
    finally:
        hub.close()


def test_unknown_broker_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported broker URL scheme"):
        make_broker("kafka://somewhere")
