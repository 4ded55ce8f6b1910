"""`afsprakenhub zgw`: the hub's abonnement at the Notificaties API (subscribe, unsubscribe, subscriptions)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from connectors.zgw import Abonnement, AbonnementInput, FilterGroup, NotificatiesClient
from hub.config import Settings, get_settings
from hub.errors import DeliveryError

KANAAL = "zaken"
app = typer.Typer(help="ZGW: the hub's abonnement (subscription) at the Notificaties API (NRC).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()
err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CallbackOpt = Annotated[str | None, typer.Option("--callback-url", help="[default: AFSPRAKENHUB_ZGW__CALLBACK_URL]")]


def abonnement_auth(settings: Settings) -> str:
    """The Authorization value the NRC must send back: zgw.abonnement_auth, else notificaties_auth."""
    secret = settings.zgw.abonnement_auth or settings.notificaties_auth
    if secret is None or not secret.get_secret_value():
        raise ValueError("set AFSPRAKENHUB_NOTIFICATIES_AUTH (or AFSPRAKENHUB_ZGW__ABONNEMENT_AUTH) to the value the "
                         "NRC must send in Authorization, e.g. 'Bearer <long random>'")
    return secret.get_secret_value()


def ensure_subscription(settings: Settings, *, callback_url: str | None = None,
                        client: NotificatiesClient | None = None) -> tuple[Abonnement, bool]:
    """The hub's abonnement on kanaal `zaken` for `callback_url`; created only when none exists yet."""
    callback = callback_url or settings.zgw.callback_url
    auth = abonnement_auth(settings)
    nrc = client or NotificatiesClient.from_settings(settings.zgw)
    try:
        existing = nrc.find_abonnementen(callback)
        if existing:
            return existing[0], False
        wanted = AbonnementInput(callback_url=callback, auth=auth,
                                 kanalen=[FilterGroup(naam=KANAAL, filters=settings.zgw.kanaal_filters)])
        return nrc.create_abonnement(wanted), True
    finally:
        if client is None:
            nrc.close()


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]{exc}[/]")
    return typer.Exit(1)


@app.command()
def subscribe(callback_url: CallbackOpt = None, as_json: JsonOpt = False) -> None:
    """Create the abonnement (kanaal zaken, the configured filters) unless one for the callback URL exists."""
    try:
        abonnement, created = ensure_subscription(get_settings(), callback_url=callback_url)
    except (DeliveryError, ValueError) as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps({"created": created, "abonnement": abonnement.url,
                                     "callbackUrl": abonnement.callback_url}) + "\n")
    else:
        out.print(f"{'created' if created else 'already subscribed'}: {abonnement.url} → {abonnement.callback_url}",
                  highlight=False)


@app.command()
def unsubscribe(
    callback_url: CallbackOpt = None,
    url: Annotated[str | None, typer.Option("--url", help="Delete this one abonnement (its URL at the NRC)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete the abonnement(en) that send to the callback URL (or the one given with --url)."""
    settings = get_settings()
    with_client = NotificatiesClient.from_settings(settings.zgw)
    try:
        callback = callback_url or settings.zgw.callback_url
        targets = [url] if url else [a.url for a in with_client.find_abonnementen(callback)]
        for target in targets:
            with_client.delete_abonnement(target)
    except (DeliveryError, ValueError) as exc:
        raise _fail(exc) from None
    finally:
        with_client.close()
    if as_json:
        sys.stdout.write(json.dumps({"deleted": targets}) + "\n")
    else:
        out.print(f"deleted {len(targets)} abonnement(en)" + "".join(f"\n  {t}" for t in targets), highlight=False)


@app.command()
def subscriptions(as_json: JsonOpt = False) -> None:
    """List the NRC's abonnementen visible to the hub's client id; marks the hub's own callback URL."""
    settings = get_settings()
    client = NotificatiesClient.from_settings(settings.zgw)
    try:
        found = client.list_abonnementen()
    except DeliveryError as exc:
        raise _fail(exc) from None
    finally:
        client.close()
    mine = settings.zgw.callback_url.rstrip("/")
    if as_json:
        sys.stdout.write(json.dumps([{**a.wire(), "hub": a.callback_url.rstrip("/") == mine} for a in found],
                                    indent=2) + "\n")
        return
    table = Table("abonnement", "callback URL", "kanalen", "hub")
    for a in found:
        kanalen = ", ".join(k.naam + (f" {k.filters}" if k.filters else "") for k in a.kanalen)
        table.add_row(a.url, a.callback_url, kanalen, "yes" if a.callback_url.rstrip("/") == mine else "")
    out.print(table if found else "no abonnementen")


def register(parent: typer.Typer) -> None:
    """Add the `zgw` command group to the afsprakenhub command line."""
    parent.add_typer(app, name="zgw")
