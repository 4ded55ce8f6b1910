"""Units of the data platform export: pseudonyms, age bands, targets and their Azure credentials."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import SecretStr

from connectors.datalake import DatalakeSettings, resolve
from flows.datalake.privacy import age_band, customer_key, customer_type
from flows.datalake.source import p95

ABFSS = "abfss://lake@gemeente.dfs.core.windows.net/afspraken"


def test_customer_key_is_keyed_and_rotates_with_the_secret() -> None:
    a = customer_key("secret-1", bsn="999993653", kvk=None)
    assert a == customer_key("secret-1", bsn="999993653", kvk=None) and a is not None and len(a) == 32
    assert "999993653" not in a
    assert customer_key("secret-2", bsn="999993653", kvk=None) != a  # rotation: new keys do not match old ones
    assert customer_key("secret-1", bsn=None, kvk="12345678") != customer_key("secret-1", bsn="12345678", kvk=None)
    assert customer_key("secret-1", bsn=None, kvk=None) is None
    with pytest.raises(ValueError, match="empty"):
        customer_key("", bsn="999993653", kvk=None)


def test_customer_type_and_age_band() -> None:
    assert customer_type(present=False, anonymous=False, bsn=None, kvk=None) == "anonymous"
    assert customer_type(present=True, anonymous=False, bsn="999993653", kvk=None) == "person"
    assert customer_type(present=True, anonymous=False, bsn=None, kvk="12345678") == "business"
    assert customer_type(present=True, anonymous=False, bsn=None, kvk=None) == "unidentified"
    on = date(2027, 3, 1)
    assert [age_band(date(y, 3, 1), on) for y in (2010, 2009, 1997, 1982, 1962, 1960)] == \
        ["0-17", "18-29", "30-44", "45-64", "65+", "65+"]
    assert age_band(date(2009, 3, 2), on) == "0-17"  # 18 tomorrow
    assert age_band(None, on) is None


def test_p95_is_the_nearest_rank() -> None:
    assert p95([]) is None
    assert p95([float(i) for i in range(1, 101)]) == 95.0
    assert p95([3.0]) == 3.0


def test_local_target_and_azure_credentials() -> None:
    assert resolve(DatalakeSettings(target="var/lake")).is_local
    sp = resolve(DatalakeSettings(target=ABFSS, auth="service_principal", tenant_id="t", client_id="c",
                                  client_secret=SecretStr("sp-secret-value")))
    assert sp.storage_options == {"azure_storage_account_name": "gemeente", "azure_tenant_id": "t",
                                  "azure_client_id": "c", "azure_client_secret": "sp-secret-value"}
    assert "sp-secret-value" not in repr(sp)
    mi = resolve(DatalakeSettings(target=ABFSS, client_id="user-assigned"))
    assert mi.storage_options == {"azure_storage_account_name": "gemeente", "azure_client_id": "user-assigned"}
    emu = resolve(DatalakeSettings(target="abfss://lake@devstoreaccount1.dfs.core.windows.net/x", auth="emulator"))
    assert emu.storage_options["azure_storage_use_emulator"] == "true"
    with pytest.raises(ValueError, match="tenant_id"):
        resolve(DatalakeSettings(target=ABFSS, auth="service_principal"))
    with pytest.raises(ValueError, match="unsupported target"):
        resolve(DatalakeSettings(target="s3://bucket/x"))


def test_readme_documents_every_table_and_column_of_the_contract() -> None:
    from pathlib import Path

    from flows.datalake.contract import contract

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Data platform export", 1)[1].split("\n## ", 1)[0]
    for name, table in contract().tables.items():
        assert f"`{name}`" in section, name
        assert all(f"`{column}`" in section for column in table.columns), name


def test_the_collector_is_paused_only_while_events_are_exported() -> None:
    import gc

    from flows.datalake.export import _collector_per_batch

    assert gc.isenabled()
    with _collector_per_batch():
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), _collector_per_batch():
        raise RuntimeError("storage failure")
    assert gc.isenabled() and gc.get_freeze_count() == 0  # a failed export leaves the process as it was


def test_an_export_in_a_serving_process_leaves_its_long_lived_objects_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from flows.datalake.export import _collector_per_batch
    from hub import gc_pauses

    monkeypatch.setattr(gc_pauses, "_serving", True)  # the scheduler's hourly run inside `afsprakenhub serve`
    try:
        with _collector_per_batch():
            pass
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
