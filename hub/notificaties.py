"""The ZGW Notificaties API consumer contract: the classic message, as a CloudEvent for routing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from hub.model import CloudEvent, DateTimeText, refuse_nul

#: `format: uri` allows any scheme; the hub takes http(s) only (say so in the OpenAPI document).
HTTP_URL: dict[str, Any] = {"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}


class Notificatie(BaseModel):
    """The message an NRC posts to an abonnement's callbackUrl."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kanaal: str = Field(min_length=1, max_length=50)
    hoofdObject: AnyHttpUrl = Field(json_schema_extra=HTTP_URL)
    resource: str = Field(min_length=1, max_length=100)
    resourceUrl: AnyHttpUrl = Field(json_schema_extra=HTTP_URL)
    actie: str = Field(min_length=1, max_length=100)
    aanmaakdatum: DateTimeText
    kenmerken: dict[str, str | None] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _no_nul_anywhere(cls, raw: Any) -> Any:
        return refuse_nul(raw)

    @property
    def dedupe_key(self) -> str:
        """The message hash: an NRC re-sending the same message is a duplicate."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return "zgw:" + hashlib.sha256(blob.encode()).hexdigest()

    def as_cloudevent(self) -> CloudEvent:
        """Routed like `nl.overheid.<kanaal>.<resource>.<actie>` CloudEvents."""
        return CloudEvent(
            specversion="1.0", id=self.dedupe_key.removeprefix("zgw:"), source="urn:nl:notificaties-api",
            type=f"nl.overheid.{self.kanaal}.{self.resource}.{self.actie}", subject=str(self.hoofdObject),
            time=self.aanmaakdatum if self.aanmaakdatum.tzinfo else None, datacontenttype="application/json",
            data=self.model_dump(mode="json"),
        )
