"""After a demo day, one export gives tables whose counts and sums equal the hub's store: local folder and Azurite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select

from connectors.datalake import DatalakeSettings
from flows.datalake.export import export_datalake
from flows.datalake.rows import Pseudonymiser
from flows.datalake.source import CONTACT_MOMENT_KINDS, CONTACT_MOMENT_PEERS
from hub.bootstrap import Hub
from hub.demo.runner import DemoStack
from hub.model import APPOINTMENT_EVENT_PREFIX
from hub.store.tables import Delivery, DeliveryStatus, InboxEvent, Link
from tests.support.azurite import Azurite, start_azurite
from tests.support.lake import file_texts, local_file_texts, privacy_hits
from tests.support.lake_equivalence import both_ways, stored_events
from tests.support.privacy import personal_values

VISIT_TYPES = {APPOINTMENT_EVENT_PREFIX + k for k in ("checked_in", "called", "started", "completed", "no_show")}


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    yield from start_azurite(tmp_path_factory.mktemp("azurite"))


@pytest.fixture
def demo_day(database_url: str, tmp_path: Path) -> Iterator[tuple[Hub, frozenset[str]]]:
    """A played and settled demo day (40 appointments) on the test's store; the hub and its personal values."""
    with DemoStack(seed=7, count=40, workdir=tmp_path / "demo", overrides={"database_url": database_url}) as stack:
        stack.before_day()
        stack.play()
        stack.settle()
        stack.after_day()
        customers = [a.customer for a in stack.plan.appointments if a.customer]
        names = {c["lastName"] for c in customers if len(c["lastName"]) > 4} | {c["birthDate"] for c in customers}
        yield stack.hub, personal_values(stack.plan) | names


def store_numbers(hub: Hub) -> dict[str, Any]:
    """What the lake must show, counted straight from the store."""
    with hub.db.unit_of_work() as s:
        events = s.execute(select(InboxEvent.subject, InboxEvent.type, InboxEvent.version).where(
            InboxEvent.type.startswith(APPOINTMENT_EVENT_PREFIX))).all()
        deliveries = dict(s.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        links = [peer for (peer,) in s.execute(select(Link.peer))]
    latest: dict[str, int] = {}
    for subject, _, version in events:
        latest[subject] = max(latest.get(subject, 0), version)
    kinds: dict[str, set[str]] = {}
    for subject, type_, _ in events:
        kinds.setdefault(subject, set()).add(type_.removeprefix(APPOINTMENT_EVENT_PREFIX))
    return {
        "events": len(events), "appointments": len(latest), "version_sum": sum(latest.values()),
        "visits": sum(1 for subject in latest if kinds[subject] & {t.rsplit(".", 1)[1] for t in VISIT_TYPES}),
        "waits": sum(1 for k in kinds.values() if {"checked_in", "called"} <= k),
        "received": sum(deliveries.values()), "succeeded": deliveries.get(DeliveryStatus.SUCCEEDED, 0),
        "dead": deliveries.get(DeliveryStatus.DEAD, 0),
        "contact_moments": sum(1 for p in links if p.partition(":")[0] in CONTACT_MOMENT_PEERS
                               and p.partition(":")[2] in CONTACT_MOMENT_KINDS),
    }


def lake_numbers(read: Any) -> dict[str, Any]:
    current, visits, days = read("fact_appointment"), read("fact_visit"), read("fact_delivery_day")
    return {
        "events": read("fact_appointment_version").height, "appointments": current.height,
        "version_sum": current["version"].sum(), "visits": visits.height,
        "waits": visits["waiting_seconds"].drop_nulls().len(),
        "received": days["received"].sum(), "succeeded": days["succeeded"].sum(), "dead": days["dead"].sum(),
        "contact_moments": read("fact_contact_moment").height,
    }


@pytest.mark.slow
@pytest.mark.timeout(600)  # a whole demo day; generous for a busy 2-core machine
def test_demo_day_in_a_local_folder(demo_day: tuple[Hub, frozenset[str]], tmp_path: Path) -> None:
    hub, personal = demo_day
    target = tmp_path / "lake"
    hub.settings.datalake = DatalakeSettings(target=str(target), settle_seconds=0)
    export_datalake(hub)
    expected = store_numbers(hub)
    assert expected["visits"] > 0 and expected["contact_moments"] > 0 and expected["waits"] > 0
    assert lake_numbers(lambda t: pl.read_delta(str(target / t))) == expected
    assert privacy_hits(local_file_texts(target), personal) == []
    for employee_ids in (False, True):  # the demo day's events read column-wise give the per-event rows
        old, new = both_ways(stored_events(hub), Pseudonymiser("demo-secret", "2", employee_ids))
        assert all(old.values()) and new == old


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_demo_day_on_azurite(demo_day: tuple[Hub, frozenset[str]], azurite: Azurite,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    hub, personal = demo_day
    monkeypatch.setenv("AZURITE_BLOB_STORAGE_URL", azurite.blob_url)  # where object_store finds the emulator
    target = azurite.target("demo")
    hub.settings.datalake = DatalakeSettings(target=target, auth="emulator", settle_seconds=0)
    export_datalake(hub)
    options = {"azure_storage_account_name": "devstoreaccount1", "azure_storage_use_emulator": "true"}
    assert lake_numbers(lambda t: pl.read_delta(f"{target}/{t}", storage_options=options)) == store_numbers(hub)
    again = export_datalake(hub)
    assert again.events == 0
    texts = [text for name, data in azurite.blobs("demo/") for text in file_texts(name, data)]
    assert any(name.endswith(".parquet") for name, _ in texts)
    assert privacy_hits(texts, personal) == []
