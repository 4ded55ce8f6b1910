"""Each connector contributes its own settings section: same env names and afsprakenhub.toml keys, typed sections,
and the hub core's settings load without importing any connector."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectors.passes.settings import PassListSettings
from connectors.salesforce.settings import SalesforceSettings
from connectors.zgw.settings import ZgwSettings
from hub.config import Settings, WasteDepotSettings
from hub.settings import HubSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AFSPRAKENHUB_CONFIG", str(tmp_path / "absent.toml"))


def test_connector_sections_read_the_same_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFSPRAKENHUB_SALESFORCE__ENABLED", "false")
    monkeypatch.setenv("AFSPRAKENHUB_SALESFORCE__API_VERSION", "61.0")
    monkeypatch.setenv("AFSPRAKENHUB_ZGW__ZAKEN_BASE_URLS", '["https://zaken.example.nl/zaken/api/v1"]')
    monkeypatch.setenv("AFSPRAKENHUB_WASTE_DEPOT__PASSES__SOURCE", "folder")
    monkeypatch.setenv("AFSPRAKENHUB_WASTE_DEPOT__FREE_VISITS_PER_YEAR", "4")
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER__VENDOR", "qmatic")
    monkeypatch.setenv("AFSPRAKENHUB_RETRY__MAX_ATTEMPTS", "3")
    settings = Settings()
    assert isinstance(settings.salesforce, SalesforceSettings)
    assert (settings.salesforce.enabled, settings.salesforce.api_version) == (False, "61.0")
    assert isinstance(settings.zgw, ZgwSettings)
    assert settings.zgw.zaken_base_urls == ["https://zaken.example.nl/zaken/api/v1"]
    assert isinstance(settings.waste_depot, WasteDepotSettings)
    assert isinstance(settings.waste_depot.passes, PassListSettings)
    assert (settings.waste_depot.passes.source, settings.waste_depot.free_visits_per_year) == ("folder", 4)
    assert (settings.register.vendor, settings.retry.max_attempts) == ("qmatic", 3)


def test_connector_sections_read_the_same_toml_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "afsprakenhub.toml"
    config.write_text('database_url = "sqlite:///./from-toml.db"\n'
                      '[salesforce]\nclient_id = "from-toml"\n'
                      '[waste_depot.passes]\nsource = "view"\nview_name = "passen"\n'
                      '[register]\nvendor = "jcc-rest"\n', encoding="utf-8")
    monkeypatch.setenv("AFSPRAKENHUB_CONFIG", str(config))
    monkeypatch.setenv("AFSPRAKENHUB_SALESFORCE__CLIENT_ID", "from-env")  # the environment wins, as before
    settings = Settings()
    assert settings.database_url == "sqlite:///./from-toml.db"
    assert settings.salesforce.client_id == "from-env"
    assert (settings.waste_depot.passes.source, settings.waste_depot.passes.view_name) == ("view", "passen")
    assert settings.register.vendor == "jcc-rest"


def test_the_core_settings_are_the_base_of_the_assembled_ones() -> None:
    assert issubclass(Settings, HubSettings)
    core = set(HubSettings.model_fields)
    assert {"database_url", "retry", "register", "console", "tracing"} <= core
    assert not core & {"salesforce", "zgw", "outlook", "kcm", "waste_depot", "migration"}
    assert Settings().register.vendor == "canonical"  # not ABCMeta.register, which a subclass would inherit


def test_the_core_settings_import_no_connector() -> None:
    """At run time, parent packages included (import-linter's graph does not see a package's `__init__` run)."""
    probe = ("import sys, hub.settings, hub.waste_depot_settings; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('connectors', 'flows', 'migration')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_sftp_login_fields_keep_their_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {
        "KCM__HOST": "kcm.example.nl", "KCM__PORT": "2201", "KCM__KNOWN_HOSTS_PATH": "/etc/afsprakenhub/known_hosts",
        "ROSTARCAS__SFTP_HOST": "sftp.example.nl", "ROSTARCAS__SFTP_PORT": "2202",
        "ROSTARCAS__SFTP_USERNAME": "rooster", "ROSTARCAS__SFTP_PRIVATE_KEY_PATH": "/etc/afsprakenhub/id_ed25519",
        "ROSTARCAS__USERNAME": "http-user",  # the HTTP login stays apart
    }
    for name, value in environment.items():
        monkeypatch.setenv(f"AFSPRAKENHUB_{name}", value)
    settings = Settings()
    kcm, roster = settings.kcm, settings.rostarcas
    assert (kcm.host, kcm.port, kcm.known_hosts_path) == ("kcm.example.nl", 2201, "/etc/afsprakenhub/known_hosts")
    assert (roster.sftp.host, roster.sftp.port, roster.sftp.username) == ("sftp.example.nl", 2202, "rooster")
    assert roster.sftp.private_key_path == "/etc/afsprakenhub/id_ed25519"
    assert roster.username == "http-user" and roster.sftp.password is not None  # untouched keys keep defaults


def test_the_sftp_login_fields_keep_their_toml_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "afsprakenhub.toml"
    config.write_text('[kcm]\nusername = "kcm-user"\nremote_folder = "/in"\n'
                      '[rostarcas]\nsftp_username = "rooster"\nsftp_password = "s3cret"\nsftp_folder = "/export"\n',
                      encoding="utf-8")
    monkeypatch.setenv("AFSPRAKENHUB_CONFIG", str(config))
    monkeypatch.setenv("AFSPRAKENHUB_ROSTARCAS__SFTP_HOST", "sftp.example.nl")  # env and toml combine
    settings = Settings()
    assert (settings.kcm.username, settings.kcm.remote_folder) == ("kcm-user", "/in")
    sftp = settings.rostarcas.sftp
    assert (sftp.host, sftp.username, settings.rostarcas.sftp_folder) == ("sftp.example.nl", "rooster", "/export")
    assert sftp.password is not None and sftp.password.get_secret_value() == "s3cret"
