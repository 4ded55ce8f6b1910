"""README's capability matrix is the code's: each vendor's adapter capabilities and each user's declared needs."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import flows  # noqa: F401 - registers every flow and job
from hub.ports.capabilities import Capability
from hub.ports.register_vendors import VENDORS
from hub.registry import REGISTRY
from hub.scheduler import JOBS
from migration.steps import LOAD_NEEDS, READ_NEEDS, ROLLBACK_NEEDS

README = Path(__file__).resolve().parents[2] / "README.md"


def capabilities_of(vendor: str) -> frozenset[Capability]:
    """The adapter module's declared set (what its `capabilities` attribute is), without building a client."""
    module = importlib.import_module(VENDORS[vendor].build.partition(":")[0])
    caps: frozenset[Capability] = module.CAPABILITIES
    return caps


def users() -> dict[Capability, list[str]]:
    found: dict[Capability, set[str]] = {c: set() for c in Capability}
    for flow in REGISTRY.flows.values():
        for c in flow.needs:
            found[c].add(f"flow `{flow.name}`")
    for job in JOBS.values():
        for c in job.needs:
            found[c].add(f"job `{job.name}`")
        for c in job.uses:
            found[c].add(f"job `{job.name}` (part)")
    for needs, who in ((LOAD_NEEDS, "`migrate load`/`run`"), (READ_NEEDS, "`migrate plan`/`reconcile`"),
                       (ROLLBACK_NEEDS, "`migrate rollback`")):
        for c in needs:
            found[c].add(who)
    for c in (Capability.LIST_LOCATIONS, Capability.LIST_PRODUCTS, Capability.READ_APPOINTMENT):
        found[c].add("`register probe`")
    return {c: sorted(v) for c, v in found.items()}


def matrix() -> str:
    vendors = sorted(VENDORS, key=lambda v: (v != "canonical", v))
    caps = {v: capabilities_of(v) for v in vendors}
    who = users()
    lines = [f"| capability | {' | '.join(vendors)} | needed by |",
             f"| --- | {' | '.join(':-:' for _ in vendors)} | --- |"]
    for c in Capability:
        marks = " | ".join("yes" if c in caps[v] else "—" for v in vendors)
        lines.append(f"| `{c}` | {marks} | {', '.join(who[c]) or '—'} |")
    return "\n".join(lines)


def test_readme_shows_the_capability_matrix_of_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- register-matrix: start[^>]*-->\n(.*?)\n<!-- register-matrix: end -->", text, re.S)
    assert found, "README lacks the register-matrix block"
    assert found.group(1) == matrix(), "README's capability matrix is out of date; it should read:\n" + matrix()
