"""A child process for the crash test: export, and after the N-th commit to one table say so and wait to be killed.

Usage: python -m tests.support.lake_child TABLE N  (store and target from AFSPRAKENHUB_* variables)
"""

from __future__ import annotations

import sys

from flows.datalake.export import export_datalake
from hub.bootstrap import Hub
from hub.config import Settings


def main(table: str, after: int) -> None:
    hub = Hub(Settings(flow_modules=[]), worker_name="lake-child")
    seen = 0

    def on_commit(name: str, rows: int) -> None:
        nonlocal seen
        if name == table:
            seen += 1
            if seen == after:
                sys.stdout.write(f"COMMITTED {name} {seen}\n")
                sys.stdout.flush()
                sys.stdin.read()  # the parent kills this process now (SIGKILL); never returns normally

    export_datalake(hub, on_commit=on_commit)
    sys.stdout.write("FINISHED\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
