"""The hub's settings assembled at the composition root: the core's (`hub.settings`) plus each peer's section.

Each connector (and the migration) keeps its own settings model beside its code and contributes it here with
ONE line (a field named after its section: `AFSPRAKENHUB_<SECTION>__…` and `[<section>]` in
afsprakenhub.toml). The hub core never imports this module at run time; entrypoints (CLI, API, console,
demo) and `hub.bootstrap` do, so `settings.salesforce.instance_url` stays typed for them and for flows.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from connectors.brp.settings import BrpSettings
from connectors.datalake.settings import DatalakeSettings
from connectors.kcm.settings import KcmSettings
from connectors.key2burgerzaken.settings import Key2BurgerzakenSettings
from connectors.klantinteracties.settings import KlantinteractiesSettings
from connectors.outlook.settings import OutlookSettings
from connectors.passes.settings import PassListSettings
from connectors.rostarcas.settings import RostarcasSettings
from connectors.salesforce.settings import SalesforceSettings
from connectors.tip.settings import TipSettings
from connectors.zgw.settings import ZgwSettings
from hub.settings import DEFAULT_DATABASE_URL, HubSettings, RegisterChoice
from hub.waste_depot_settings import GateSettings
from migration.settings import MigrationSettings

#: The section types are re-exported so that flows annotate with them without importing a connector.
__all__ = [
    "DEFAULT_DATABASE_URL", "BrpSettings", "DatalakeSettings", "KcmSettings", "Key2BurgerzakenSettings",
    "KlantinteractiesSettings", "MigrationSettings", "OutlookSettings", "PassListSettings", "RostarcasSettings",
    "SalesforceSettings", "Settings", "TipSettings", "WasteDepotSettings", "ZgwSettings", "get_settings",
]


class WasteDepotSettings(GateSettings):
    """`[waste_depot]`: the gate's settings plus the pass list's source (the `connectors.passes` section)."""

    passes: PassListSettings = Field(default_factory=PassListSettings)


class Settings(HubSettings):
    """Everything operations may change without a code change: the core's settings and one section per peer."""

    #: Declared again: a subclass would otherwise take `ABCMeta.register` (every model class has it) as the default.
    register: RegisterChoice = Field(default_factory=RegisterChoice)
    # --- peer and flow sections: one line each; the models live with their connector (or the migration) ---
    rostarcas: RostarcasSettings = Field(default_factory=RostarcasSettings)
    salesforce: SalesforceSettings = Field(default_factory=SalesforceSettings)
    klantinteracties: KlantinteractiesSettings = Field(default_factory=KlantinteractiesSettings)
    brp: BrpSettings = Field(default_factory=BrpSettings)
    outlook: OutlookSettings = Field(default_factory=OutlookSettings)
    kcm: KcmSettings = Field(default_factory=KcmSettings)
    key2burgerzaken: Key2BurgerzakenSettings = Field(default_factory=Key2BurgerzakenSettings)
    tip: TipSettings = Field(default_factory=TipSettings)
    zgw: ZgwSettings = Field(default_factory=ZgwSettings)
    migration: MigrationSettings = Field(default_factory=MigrationSettings)
    datalake: DatalakeSettings = Field(default_factory=DatalakeSettings)
    waste_depot: WasteDepotSettings = Field(default_factory=WasteDepotSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
