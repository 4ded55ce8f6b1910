"""`afsprakenhub register`: the appointment register behind the port (probe the configured or another instance)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

HELP = "The appointment register: a read-only probe of the configured vendor's API."
app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()
err = Console(stderr=True)


@app.command()
def probe(
    appointment: Annotated[str | None, typer.Option("--appointment", help="Also read this appointment (its id "
                                                    "in the register) and print it as the canonical model.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"vendor", "locations", "products", '
                                          '"appointment"} as JSON.')] = False,
    vendor: Annotated[str | None, typer.Option("--vendor", help="canonical | jcc-rest | qmatic [default: "
                                               "AFSPRAKENHUB_REGISTER__VENDOR]")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="The vendor's API root as its documentation "
                                                 "gives it")] = None,
    token_url: Annotated[str | None, typer.Option("--token-url", help="OAuth2 token endpoint")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="OAuth2 client id")] = None,
    client_secret: Annotated[str | None, typer.Option("--client-secret", help="OAuth2 client secret",
                                                      envvar="AFSPRAKENHUB_PROBE_CLIENT_SECRET")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", help="API key (Qmatic)",
                                                envvar="AFSPRAKENHUB_PROBE_API_KEY")] = None,
    show_personal_data: Annotated[bool, typer.Option("--show-personal-data", help="Print the appointment's "
                                                     "customer unmasked (BSN, name, contact details).")] = False,
) -> None:
    """Read-only check of the register: authenticate, list locations and products, read one appointment.

    Reads the configured register (AFSPRAKENHUB_REGISTER__VENDOR and its settings section); the options
    override them for a one-off check of another instance. Exit 0 when every step worked; otherwise one line
    names the step and the reason: 1 failed, 2 bad options or settings, 3 bad credentials, 4 unreachable,
    5 unexpected shape (the field is named), 6 appointment not found.
    """
    from hub.config import get_settings
    from hub.console.queries import mask
    from hub.model import Appointment
    from hub.register_probe import ProbeFailed
    from hub.register_probe import probe as run_probe

    overrides = {"base_url": base_url, "token_url": token_url, "client_id": client_id,
                 "client_secret": client_secret, "api_key": api_key}

    def show(appointment: Appointment) -> dict[str, Any]:
        data = appointment.model_dump(mode="json", by_alias=True)
        return data if show_personal_data else {**data, "customer": mask(data.get("customer"))}

    try:
        result = run_probe(get_settings(), vendor=vendor, overrides=overrides, appointment_id=appointment, show=show)
    except ProbeFailed as failed:
        err.print(failed.line(), soft_wrap=True, markup=False, highlight=False)
        raise typer.Exit(failed.exit_code) from None
    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), indent=2, ensure_ascii=False) + "\n")
        return
    out.print(f"register {result.vendor}: authenticated", highlight=False)
    for title, rows in (("locations", result.locations), ("products", result.products)):
        table = Table("id", "name", title=f"{title} ({len(rows)})")
        for row in rows:
            table.add_row(str(row["id"]), str(row["name"] or ""))
        out.print(table)
    if result.appointment is not None:
        out.print_json(data=result.appointment)


def register(parent: typer.Typer) -> None:
    """Add the `register` group to the afsprakenhub command line."""
    parent.add_typer(app, name="register")
