"""Interface text: Dutch (the operators' language) by default, English on request (`?lang=en`, then a cookie)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

LANGUAGES = ("nl", "en")
DEFAULT = "nl"
COOKIE = "afsprakenhub_console_lang"

#: key → (Dutch, English)
TEXT: dict[str, tuple[str, str]] = {
    "app": ("Afsprakenhub beheer", "Afsprakenhub console"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "nav": ("Hoofdmenu", "Main menu"),
    "overview": ("Overzicht", "Overview"),
    "dead_letters": ("Dode berichten", "Dead letters"),
    "trace": ("Afspraak volgen", "Appointment trace"),
    "jobs": ("Geplande taken", "Scheduled jobs"),
    "migration": ("Migratie", "Migration"),
    "logout": ("Afmelden", "Log out"),
    "signed_in_as": ("Aangemeld als", "Signed in as"),
    "language": ("Taal", "Language"),
    "login": ("Aanmelden", "Log in"),
    "login_intro": ("Meld u aan met een API-token van de hub of met uw organisatieaccount.",
                    "Log in with one of the hub's API tokens or with your organisation account."),
    "token": ("API-token", "API token"),
    "token_help": ("Een van de tokens uit de instelling api_tokens.", "One of the tokens in the api_tokens setting."),
    "login_token": ("Aanmelden met token", "Log in with token"),
    "login_oidc": ("Aanmelden met Entra ID", "Log in with Entra ID"),
    "login_failed": ("Dit token is niet geldig.", "This token is not valid."),
    "login_refused": ("Aanmelden geweigerd", "Login refused"),
    "logged_out": ("U bent afgemeld.", "You have logged out."),
    "inbox": ("Ontvangen berichten", "Inbound events"),
    "received": ("Ontvangen", "Received"),
    "processed": ("Verwerkt", "Processed"),
    "pending": ("Wachtend", "Pending"),
    "succeeded": ("Geslaagd", "Succeeded"),
    "failed": ("Mislukt (nieuwe poging gepland)", "Failed (retry scheduled)"),
    "dead": ("Dood", "Dead"),
    "skipped": ("Overgeslagen", "Skipped"),
    "oldest_pending": ("Oudste wachtende", "Oldest pending"),
    "flows": ("Stromen", "Flows"),
    "flow": ("Stroom", "Flow"),
    "health": ("Toestand", "Health"),
    "healthy": ("In orde", "Healthy"),
    "attention": ("Aandacht nodig", "Needs attention"),
    "busy": ("Bezig", "Busy"),
    "connectors": ("Koppelingen", "Connectors"),
    "connector": ("Koppeling", "Connector"),
    "calls": ("Aanroepen", "Calls"),
    "errors": ("Fouten", "Errors"),
    "last_error": ("Laatste fout", "Last error"),
    "headroom": ("Ruimte in limiet", "Rate-limit headroom"),
    "no_connector_calls": ("Nog geen aanroepen naar koppelingen geteld.", "No connector calls counted yet."),
    "status": ("Status", "Status"),
    "all": ("Alle", "All"),
    "error_contains": ("Foutmelding bevat", "Error contains"),
    "appointment": ("Afspraak", "Appointment"),
    "filter": ("Filteren", "Filter"),
    "select": ("Selecteren", "Select"),
    "select_row": ("Bericht {id} selecteren", "Select delivery {id}"),
    "replay_selected": ("Geselecteerde opnieuw aanbieden", "Replay selected"),
    "replay": ("Opnieuw aanbieden", "Replay"),
    "replay_all": ("Alle {n} getoonde opnieuw aanbieden", "Replay all {n} shown"),
    "replay_result": ("Resultaat van opnieuw aanbieden", "Replay result"),
    "replay_queued": ("{n} bericht(en) opnieuw in de wachtrij gezet.", "{n} delivery(ies) queued again."),
    "replay_none": ("Niets opnieuw aangeboden: kies mislukte, dode of overgeslagen berichten.",
                    "Nothing replayed: choose failed, dead or skipped deliveries."),
    "refresh": ("Vernieuwen", "Refresh"),
    "none_found": ("Niets gevonden.", "Nothing found."),
    "bad_request": ("Deze vraag klopt niet; controleer de filters.", "This request is not valid; check the filters."),
    "id": ("Nummer", "Id"),
    "event": ("Bericht", "Event"),
    "event_type": ("Soort bericht", "Event type"),
    "attempts": ("Pogingen", "Attempts"),
    "reason": ("Reden", "Reason"),
    "received_at": ("Ontvangen op", "Received at"),
    "finished_at": ("Afgerond op", "Finished at"),
    "next_attempt": ("Volgende poging", "Next attempt"),
    "delivery": ("Aflevering", "Delivery"),
    "payload_masked": ("Inhoud (persoonsgegevens afgeschermd)", "Content (personal data masked)"),
    "payload_purged": ("De inhoud is volgens de bewaartermijn verwijderd.", "The content was removed (retention)."),
    "previous": ("Vorige", "Previous"),
    "next": ("Volgende", "Next"),
    "search_trace": ("Afspraaknummer of extern nummer", "Appointment id or external id"),
    "search": ("Zoeken", "Search"),
    "events": ("Berichten", "Events"),
    "deliveries": ("Afleveringen", "Deliveries"),
    "remote_records": ("Records bij koppelingen", "Remote records"),
    "peer": ("Systeem", "Peer"),
    "remote_id": ("Extern nummer", "Remote id"),
    "version": ("Versie", "Version"),
    "updated_at": ("Bijgewerkt", "Updated"),
    "open_in_peer": ("Openen in {peer}", "Open in {peer}"),
    "not_found_trace": ("Geen afspraak gevonden voor {q}.", "No appointment found for {q}."),
    "job": ("Taak", "Job"),
    "schedule": ("Schema", "Schedule"),
    "last_run": ("Laatste run", "Last run"),
    "next_run": ("Volgende run", "Next run"),
    "watermark": ("Watermerk", "Watermark"),
    "outcome": ("Uitkomst", "Outcome"),
    "detail": ("Details", "Detail"),
    "run_now": ("Nu uitvoeren", "Run now"),
    "run_job": ("Taak {job} nu uitvoeren", "Run job {job} now"),
    "job_started": ("Taak {job} is gestart; vernieuw de pagina voor de uitkomst.",
                    "Job {job} started; refresh the page for its outcome."),
    "job_busy": ("Taak {job} draait al; er is niets extra gestart.",
                 "Job {job} is already running; nothing was started."),
    "no_jobs": ("Geen geplande taken geladen.", "No scheduled jobs loaded."),
    "never": ("Nooit", "Never"),
    "running": ("Bezig", "Running"),
    "ok": ("Gelukt", "OK"),
    "job_failed": ("Mislukt", "Failed"),
    "job_other": ("Let op", "Check"),
    "runs": ("Runs", "Runs"),
    "step": ("Stap", "Step"),
    "started": ("Gestart", "Started"),
    "finished": ("Klaar", "Finished"),
    "exit_code": ("Afsluitcode", "Exit code"),
    "report": ("Rapport", "Report"),
    "open_report": ("Rapport van run {id} openen", "Open report of run {id}"),
    "verdict": ("Oordeel", "Verdict"),
    "no_runs": ("Nog geen migratieruns vastgelegd.", "No migration runs recorded yet."),
    "unfinished": ("Niet afgerond", "Not finished"),
    "csrf": ("Het formulier is verlopen of ongeldig; laad de pagina opnieuw.",
             "The form expired or is invalid; reload the page."),
    "store_unavailable": ("De opslag antwoordt nu niet op tijd; probeer het zo opnieuw.",
                          "The store is not answering in time; try again shortly."),
    "ago": ("{age} geleden", "{age} ago"),
    "none": ("—", "—"),
    "generated": ("Stand van", "As of"),
    "counts_note": ("Aantallen afleveringen per stroom en status, zoals afsprakenhub status ze telt.",
                    "Deliveries per flow and state, as afsprakenhub status counts them."),
    "unrouted": ("Niet gerouteerd", "Unrouted"),
    "unrouted_note": ("Geaccepteerde berichten waarvan geen stroom het type verwerkt. Voeg een route toe met "
                      "AFSPRAKENHUB_EVENT_ROUTES als ze wel verwerkt moeten worden.",
                      "Accepted events whose type no flow consumes. Add a route with AFSPRAKENHUB_EVENT_ROUTES "
                      "if they should be processed."),
    "count": ("Aantal", "Count"),
    "no_unrouted": ("Geen: elk geaccepteerd bericht ging naar een stroom.",
                    "None: every accepted event went to a flow."),
}


def language(request: Request) -> str:
    """`?lang=` first, then the cookie, then Dutch."""
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE) or DEFAULT
    return asked if asked in LANGUAGES else DEFAULT


def translator(lang: str) -> Callable[..., str]:
    index = LANGUAGES.index(lang)

    def t(key: str, **values: object) -> str:
        text = TEXT[key][index] if key in TEXT else key
        return text.format(**values) if values else text

    return t


__all__ = ["COOKIE", "LANGUAGES", "TEXT", "language", "translator"]
