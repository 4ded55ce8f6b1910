"""Alert messages in Dutch: a subject line and a short text with a link to the console page (no personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

Status = Literal["firing", "resolved", "test"]
LOCAL = ZoneInfo("Europe/Amsterdam")


class AlertMessage(BaseModel):
    """What every channel sends: the subject, the text and the link; the same for webhook and e-mail."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: str
    status: Status
    subject: str
    text: str
    link: str
    opened_at: datetime
    resolved_at: datetime | None = None


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL):%d-%m-%Y %H:%M}"


def _minutes(start: datetime, end: datetime) -> str:
    minutes = max(0, round((end - start).total_seconds() / 60))
    return f"{minutes} minuut" if minutes == 1 else f"{minutes} minuten"


def compose(*, key: str, kind: str, summary: str, console_url: str, console_path: str, opened_at: datetime,
            resolved_at: datetime | None = None, status: Status = "firing") -> AlertMessage:
    """The Dutch message for one alert episode (`resolved_at` set: the "opgelost" message)."""
    link = console_url.rstrip("/") + "/" + console_path.lstrip("/")
    if status == "test":
        subject = "[afsprakenhub] Testmelding"
        text = (f"Dit is een testmelding van de afsprakenhub, verstuurd op {_local(opened_at)}. "
                f"Komt deze aan, dan werkt het kanaal.\nConsole: {link}")
    elif status == "resolved":
        assert resolved_at is not None
        subject = f"[afsprakenhub] Opgelost: {summary}"
        text = (f"Opgelost: {summary}.\nBegonnen {_local(opened_at)}, opgelost {_local(resolved_at)} "
                f"(duurde {_minutes(opened_at, resolved_at)}).\nConsole: {link}")
    else:
        subject = f"[afsprakenhub] Storing: {summary}"
        text = (f"Storing: {summary}.\nSinds {_local(opened_at)}. U krijgt één melding zolang dit duurt, en een "
                f"melding \"Opgelost\" als het voorbij is.\nBekijk het in de console: {link}")
    return AlertMessage(key=key, kind=kind, status=status, subject=subject, text=text, link=link,
                        opened_at=opened_at, resolved_at=resolved_at)


__all__ = ["AlertMessage", "compose"]
