"""Another process on the gate's store, for the gate index and group-commit tests.

`python -m tests.support.gate_process DATABASE_URL book ID LOCATION STATUS VERSION START_ISO [ID …]` stores
bookings (as the bookings flow in a worker process would) and prints the store's change number after them.
`python -m tests.support.gate_process DATABASE_URL serve` runs a gate server (gate-1 and gate-2 at
LOC-MILIEUSTRAAT, the integration tests' tokens and key), prints `ready PORT`, then `admitting N` before each
group commit, and serves until its stdin closes (or it is killed).
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any

from hub.bootstrap import Hub
from hub.config import Settings, WasteDepotSettings

LOC = "LOC-MILIEUSTRAAT"
GATE_TOKENS = "gate-1:gate-one-token-0123456789,gate-2:gate-two-token-0123456789"
KEY = "test-waste-depot-key"


def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, broker_url="stub", api_tokens="tip:test-token-0123456789",
                    flow_modules=[], log_format="json", log_level="WARNING",
                    waste_depot=WasteDepotSettings(locations=[LOC], gates={"gate-1": LOC, "gate-2": LOC},
                                                   gate_tokens=GATE_TOKENS, signing_key=KEY))


def book(hub: Hub, appointment_id: str, location: str, status: str, version: int, start: datetime) -> int:
    from flows.waste_depot.codes import signed_code
    from hub.store import waste_depot as store
    from hub.store.waste_depot_tables import WasteDepotBooking

    store.upsert_booking(hub.db, WasteDepotBooking(
        appointment_id=appointment_id, version=version, status=status, start=start, end=start + timedelta(minutes=15),
        location_id=location, qr_code=signed_code(KEY, appointment_id), pass_key=None, source="event",
        updated_at=start))
    with hub.db.reading() as s:
        return store.state(s)[0]


def serve(hub: Hub) -> None:
    from hub.api.app import create_app
    from hub.serving import ThreadedServer, bind_tcp
    from hub.store import waste_depot as store

    real = store.admit

    def admit(*args: Any, **kwargs: Any) -> Any:
        print(f"admitting {len(args[1])}", flush=True)
        return real(*args, **kwargs)

    store.admit = admit  # type: ignore[assignment]
    server = ThreadedServer(create_app(hub), bind_tcp()).start()
    print(f"ready {server.sock.getsockname()[1]}", flush=True)
    sys.stdin.read()
    server.stop()


def main(argv: list[str]) -> None:
    from hub.logging import configure_logging

    configure_logging("WARNING", "json")
    hub = Hub(settings(argv[0]), load_flows=False)
    if argv[1] == "book":
        seq = 0
        for at in range(2, len(argv), 5):
            appointment_id, location, status, version, start = argv[at:at + 5]
            seq = book(hub, appointment_id, location, status, int(version), datetime.fromisoformat(start))
        print(seq, flush=True)
    elif argv[1] == "serve":
        serve(hub)
    hub.close()


if __name__ == "__main__":
    main(sys.argv[1:])
