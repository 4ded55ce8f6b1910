"""Where the waste-depot pass list (milieupassen) comes from: a CSV drop folder or a database view."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, SecretStr


class PassListSettings(BaseModel):
    """`source`: `folder` (newest CSV matching `file_pattern` in `folder`, e.g. an SFTP drop synced or
    mounted there), `view` (rows of `view_name` at `view_url`), or `none` (no pass list: every pass unknown)."""

    source: Literal["folder", "view", "none"] = "none"
    folder: str = "./passes"
    file_pattern: str = "milieupassen_*.csv"
    delimiter: str = ";"
    view_url: SecretStr | None = None
    view_name: str = "milieupassen"
