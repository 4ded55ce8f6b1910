"""Where the JCC contract tests look for the published WSDL: AFSPRAKENHUB_JCC_CONTRACTS, named in the skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_tests.jcc.conftest import CONTRACTS_ENV, WSDL_NAME, published_location, published_wsdl_or_skip


def test_the_variable_points_at_the_contracts_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / WSDL_NAME).write_text("<definitions/>", encoding="utf-8")
    monkeypatch.setenv(CONTRACTS_ENV, str(tmp_path))
    assert published_location() == tmp_path / WSDL_NAME
    assert published_wsdl_or_skip() == tmp_path / WSDL_NAME


def test_the_skip_names_the_variable_and_the_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONTRACTS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(pytest.skip.Exception) as skipped:
        published_wsdl_or_skip()
    assert CONTRACTS_ENV in str(skipped.value) and str(tmp_path / "nowhere" / WSDL_NAME) in str(skipped.value)


def test_default_is_shared_beside_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONTRACTS_ENV, raising=False)
    checkout = Path(__file__).resolve().parents[2]
    assert published_location() == checkout.parent / "shared" / "contracts" / "jcc" / WSDL_NAME
