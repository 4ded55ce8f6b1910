"""The operations console in headless Chromium against a real hub server: log in, read, replay, trace, jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub import operations
from tests.browser.conftest import DEAD_APPOINTMENT, Console, keep
from tests.support.flows import wait_for
from tests.support.privacy import FIXTURE_VALUES, find_personal_data

pytestmark = pytest.mark.browser
OPS_TOKEN = "ops-token-987654321"

#: Every visible form control must have an accessible name (a label, aria-label or aria-labelledby).
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.innerText.trim()))
  .map(el => el.outerHTML)"""


def check_page(page: Any, artifacts: Path, name: str, lang: str = "nl") -> str:
    """Basics on every page (lang attribute, labelled controls, no fixture personal data), then a screenshot."""
    assert page.get_attribute("html", "lang") == lang
    assert page.evaluate(UNLABELLED) == []
    html: str = page.content()
    hits = find_personal_data([(name, html)], FIXTURE_VALUES)
    assert not hits, [str(h) for h in hits]
    keep(page, artifacts, name)
    return html


def log_in(page: Any, console: Console, artifacts: Path) -> None:
    page.goto(f"{console.url}/console/")
    assert "/console/login" in page.url
    page.get_by_label("API-token").fill("wrong-token")
    page.get_by_role("button", name="Aanmelden met token").click()
    assert "Dit token is niet geldig" in page.locator("[role=alert]").inner_text()
    page.get_by_label("API-token").fill(OPS_TOKEN)
    check_page(page, artifacts, "01-login")
    page.get_by_role("button", name="Aanmelden met token").click()
    page.wait_for_url(f"{console.url}/console/")


def test_overview_counts_equal_status(page: Any, console: Console, artifacts: Path) -> None:
    log_in(page, console, artifacts)
    status = operations.status(console.hub)  # what `afsprakenhub status --json` prints
    for state, count in status["deliveries"]["recorder"].items():
        cell = page.locator(f'tr[data-flow="recorder"] td[data-state="{state}"]')
        assert cell.inner_text().strip() == str(count), state
    for key in ("received", "processed", "pending"):
        assert page.locator(f'[data-count="inbox-{key}"]').inner_text() == str(status["inbox"][key])
    flow_row = page.locator('tr[data-flow="recorder"]').inner_text()
    assert "Aandacht nodig" in flow_row  # one dead letter: said in words, not only in red
    peer_row = page.locator('tr[data-connector="browser-test-peer"]').inner_text()
    assert "transient" in peer_row and "13800 / 15000" in peer_row
    check_page(page, artifacts, "02-overview")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Overview"
    check_page(page, artifacts, "02-overview-en", lang="en")


def test_dead_letter_replayed_until_it_succeeds(page: Any, console: Console, artifacts: Path) -> None:
    log_in(page, console, artifacts)
    page.get_by_role("link", name="Dode berichten").click()
    row = page.locator(f'tr[data-delivery="{console.dead_id}"]')
    assert "Dood" in row.inner_text() and "[bsn]" in row.inner_text()
    check_page(page, artifacts, "03-dead-letters")
    row.get_by_role("link", name=str(console.dead_id), exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Aflevering {console.dead_id}"
    payload = page.locator("pre.payload").inner_text()
    assert DEAD_APPOINTMENT in payload and "[redacted]" in payload
    check_page(page, artifacts, "04-dead-letter-event")
    page.get_by_role("button", name="Opnieuw aanbieden").click()
    assert "opnieuw in de wachtrij gezet" in page.get_by_role("status").inner_text()
    replayed = page.locator(f'#replayed tr[data-delivery="{console.dead_id}"]')

    def succeeded() -> bool:
        if "Geslaagd" in replayed.inner_text():
            return True
        page.get_by_role("link", name="Vernieuwen").click()
        return False

    assert wait_for(succeeded, timeout=30)
    assert operations.get_delivery(console.hub, console.dead_id).status == "succeeded"  # type: ignore[union-attr]
    check_page(page, artifacts, "05-replay-result")


def test_replay_many_from_the_list(page: Any, console: Console, artifacts: Path) -> None:
    log_in(page, console, artifacts)
    page.goto(f"{console.url}/console/dead-letters?status=dead")
    page.get_by_label(f"Bericht {console.dead_id} selecteren").check()
    page.keyboard.press("Tab")  # keyboard reaches the next control with a visible focus ring
    focused = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert focused == "solid"
    page.get_by_role("button", name="Geselecteerde opnieuw aanbieden").click()
    assert "1 bericht(en)" in page.get_by_role("status").inner_text()


def test_trace_jobs_and_migration_pages(page: Any, console: Console, artifacts: Path) -> None:
    console.hub.settings.console.peer_ui_urls = {"salesforce": "https://crm.example.nl/lightning/r/{remote_id}/view"}
    log_in(page, console, artifacts)
    page.get_by_role("link", name="Afspraak volgen").click()
    page.get_by_label("Afspraaknummer of extern nummer").fill("a0B000000003002")
    page.get_by_role("button", name="Zoeken").click()
    assert page.get_by_role("heading", name="Afspraak A-3002").is_visible()
    peer_link = page.locator("#trace-links a")
    assert peer_link.get_attribute("href") == "https://crm.example.nl/lightning/r/a0B000000003002/view"
    assert "Geslaagd" in page.locator("#trace-events").inner_text()
    check_page(page, artifacts, "06-trace")

    page.get_by_role("link", name="Geplande taken").click()
    job = page.locator('tr[data-job="browser-test-job"]')
    assert "Nooit" in job.inner_text()
    job.get_by_role("button", name="Taak browser-test-job nu uitvoeren").click()
    assert "is gestart" in page.get_by_role("status").inner_text()

    def job_done() -> bool:
        if "Gelukt" in page.locator('tr[data-job="browser-test-job"]').inner_text():
            return True
        page.get_by_role("link", name="Vernieuwen").click()
        return False

    assert wait_for(job_done, timeout=20)
    job = page.locator('tr[data-job="browser-test-job"]')
    assert "'checked': 3" in job.locator("details").first.inner_text()
    watermark = job.locator("details").nth(1)
    assert "blocks: (3)" in watermark.locator("summary").inner_text()
    assert not watermark.locator("pre").is_visible()
    watermark.locator("summary").focus()
    page.keyboard.press("Enter")  # opens with the keyboard, no script needed
    assert '"b-3"' in watermark.locator("pre").inner_text()
    check_page(page, artifacts, "07-jobs")

    page.get_by_role("link", name="Migratie").click()
    assert "go" in page.locator('#runs').inner_text()
    check_page(page, artifacts, "08-migration")
    page.locator("#runs a").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "JCC conversion report"

    page.goto(f"{console.url}/console/")
    page.get_by_role("button", name="Afmelden").click()
    assert "U bent afgemeld" in page.get_by_role("status").inner_text()
    page.goto(f"{console.url}/console/jobs")
    assert "/console/login" in page.url

