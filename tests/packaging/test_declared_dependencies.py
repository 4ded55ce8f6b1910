"""Every third-party package the code imports is declared in pyproject.toml, where an install gets it.

The shipped packages (what the wheel holds) may import only `[project].dependencies`; tests/ and bench/ may
also import the `dev` extra. A shipped package importing tests/ or bench/ breaks the installed wheel.
"""

from __future__ import annotations

import pytest

from tests.packaging.project import (
    ROOT,
    Import,
    distribution_of,
    imports_in,
    is_stdlib,
    local_modules,
    names,
    requirements,
    shipped_packages,
)

UNSHIPPED = ("tests", "bench")


def _undeclared(imports: list[Import], declared: set[str], first_party: set[str]) -> list[str]:
    problems = []
    for imp in imports:
        if is_stdlib(imp.module) or imp.top in first_party:
            continue
        distribution = distribution_of(imp.dotted)
        if distribution is None:
            problems.append(f"{imp}: no installed distribution provides it")
        elif distribution not in declared:
            problems.append(f"{imp} (distribution {distribution!r}, not declared)")
    return problems


def test_the_wheel_ships_the_packages_the_readme_layout_names() -> None:
    assert shipped_packages() == ["connectors", "contract_tests", "flows", "hub", "mappings", "migration", "sandbox"]


@pytest.mark.parametrize("package", shipped_packages())
def test_shipped_code_imports_only_runtime_dependencies(package: str) -> None:
    imports = list(imports_in(ROOT / package))
    assert imports, f"found no imports in {package}/"
    problems = _undeclared(imports, names(requirements()), set(shipped_packages()))
    assert not problems, "declare these in [project].dependencies:\n" + "\n".join(problems)


@pytest.mark.parametrize("package", shipped_packages())
def test_shipped_code_imports_nothing_the_wheel_leaves_out(package: str) -> None:
    found = [str(imp) for imp in imports_in(ROOT / package) if imp.top in UNSHIPPED]
    assert not found, "the wheel does not contain tests/ or bench/:\n" + "\n".join(found)


@pytest.mark.parametrize("folder", UNSHIPPED)
def test_tests_and_benchmarks_import_only_declared_packages(folder: str) -> None:
    declared = names(requirements()) | names(requirements("dev"))
    first_party = {*shipped_packages(), *UNSHIPPED, *local_modules(ROOT / folder)}
    problems = _undeclared(list(imports_in(ROOT / folder)), declared, first_party)
    assert not problems, "declare these in [project].dependencies or the dev extra:\n" + "\n".join(problems)


def test_a_namespace_package_resolves_to_the_distribution_that_holds_the_module() -> None:
    assert distribution_of("opentelemetry.trace") == "opentelemetry-api"
    assert distribution_of("opentelemetry.sdk.trace") == "opentelemetry-sdk"
    assert distribution_of("opentelemetry.trace.SpanKind") == "opentelemetry-api"  # `from … import SpanKind`
    assert distribution_of("yaml") == "pyyaml"
    assert distribution_of("no_such_module_anywhere") is None
