"""Where alerts go: a webhook (JSON POST, Teams-compatible `text`) and e-mail over SMTP (stdlib smtplib)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from hub.alerts.messages import AlertMessage
from hub.alerts.settings import AlertSettings


class Channel(Protocol):
    """One way to reach the functional administrators; `send` raises when the message did not go out."""

    name: str

    def send(self, message: AlertMessage) -> None: ...


def webhook_body(message: AlertMessage) -> dict[str, Any]:
    """A Teams MessageCard (`title`/`text`) that other receivers (TIP, a chat bridge) read by its fields too."""
    return {
        "@type": "MessageCard", "@context": "https://schema.org/extensions",
        "themeColor": {"firing": "D70000", "resolved": "2E7D32"}.get(message.status, "1F4E79"),
        "summary": message.subject, "title": message.subject, "text": message.text,
        "status": message.status, "key": message.key, "kind": message.kind, "link": message.link,
        "openedAt": message.opened_at.isoformat(),
        "resolvedAt": message.resolved_at.isoformat() if message.resolved_at else None,
    }


class WebhookChannel:
    """POST the message as JSON; any 2xx is delivered."""

    name = "webhook"

    def __init__(self, url: str, timeout: float = 10.0, http: httpx.Client | None = None) -> None:
        self._url = url
        self._timeout = timeout
        self._http = http

    def send(self, message: AlertMessage) -> None:
        if self._http is not None:
            response = self._http.post(self._url, json=webhook_body(message), timeout=self._timeout)
        else:
            with httpx.Client(timeout=self._timeout) as http:
                response = http.post(self._url, json=webhook_body(message))
        if not response.is_success:
            raise RuntimeError(f"webhook answered {response.status_code}")


class SmtpChannel:
    """Send the message as a plain-text e-mail to every configured address."""

    name = "email"

    def __init__(self, settings: AlertSettings) -> None:
        self._smtp = settings.smtp

    def send(self, message: AlertMessage) -> None:
        smtp = self._smtp
        assert smtp.host is not None
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message.subject, smtp.sender, ", ".join(smtp.to)
        mail["X-Afsprakenhub-Alert"] = f"{message.status}; {message.key}"
        mail.set_content(message.text)
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username and smtp.password is not None:
                client.login(smtp.username, smtp.password.get_secret_value())
            client.send_message(mail)


def configured_channels(settings: AlertSettings) -> list[Channel]:
    """The channels `settings` switches on (none: alerts are only recorded, shown by the CLI and console)."""
    channels: list[Channel] = []
    if settings.webhook_url:
        channels.append(WebhookChannel(settings.webhook_url, settings.webhook_timeout_seconds))
    if settings.smtp.enabled:
        channels.append(SmtpChannel(settings))
    return channels


__all__ = ["Channel", "SmtpChannel", "WebhookChannel", "configured_channels", "webhook_body"]
