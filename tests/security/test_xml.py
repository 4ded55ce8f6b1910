"""The JCC SOAP client refuses DTDs and entities in what the service answers (XXE, billion laughs), and
never fetches what an answer points at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connectors.jcc import JccClient
from contract_tests.jcc import responses as r
from contract_tests.jcc.conftest import CannedSoap
from hub.errors import PermanentError
from sandbox.jcc.simulator import wsdl_text

ENDPOINT = "http://jcc.example.nl/soap11"
MARKER = "xxe-marker-5f1c"


@pytest.fixture
def wsdl(tmp_path: Path) -> Path:
    path = tmp_path / "GenericGuidanceSystem2.wsdl"
    path.write_text(wsdl_text(), encoding="utf-8")
    return path


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(MARKER)
    return path


def _answers(doctype: str) -> bytes:
    """A valid getGovLocations answer whose location id is an entity reference, behind `doctype`."""
    body = r.LOCATIONS.decode().replace(">1</locationIDs>", ">&e;</locationIDs>", 1)
    return f'<?xml version="1.0"?>\n{doctype}\n{body}'.encode()


ATTACKS = {
    "external file": '<!DOCTYPE soap:Envelope [<!ENTITY e SYSTEM "file://{secret}">]>',
    "external url": '<!DOCTYPE soap:Envelope [<!ENTITY e SYSTEM "http://jcc.example.nl/steal">]>',
    "billion laughs": '<!DOCTYPE soap:Envelope [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                      '<!ENTITY e "&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    "external dtd": '<!DOCTYPE soap:Envelope SYSTEM "http://jcc.example.nl/evil.dtd">',
}


@pytest.fixture
def soap() -> Iterator[tuple[requests.Session, CannedSoap]]:
    session = requests.Session()
    adapter = CannedSoap({})
    session.mount("http://", adapter)
    yield session, adapter
    session.close()


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_answers_with_a_dtd_or_entities_are_refused(attack: str, wsdl: Path, secret_file: Path,
                                                    soap: tuple[requests.Session, CannedSoap]) -> None:
    session, adapter = soap
    doctype = ATTACKS[attack].replace("{secret}", str(secret_file))
    adapter.answers["getGovLocations"] = [_answers(doctype)]
    client = JccClient(str(wsdl), endpoint_url=ENDPOINT, session=session, max_retries=0, sleep=lambda _: None)
    with pytest.raises(PermanentError) as refused:
        client.location_ids()
    assert MARKER not in str(refused.value) and "lol" not in str(refused.value)
    assert [action for action, _ in adapter.sent] == ["getGovLocations"]  # nothing else was fetched


def test_the_same_answer_without_a_dtd_is_read(wsdl: Path, soap: tuple[requests.Session, CannedSoap]) -> None:
    session, adapter = soap
    adapter.answers["getGovLocations"] = [r.LOCATIONS]
    client = JccClient(str(wsdl), endpoint_url=ENDPOINT, session=session, max_retries=0, sleep=lambda _: None)
    assert client.location_ids() == ["1", "2"]


def test_a_wsdl_with_an_entity_is_refused(tmp_path: Path, secret_file: Path) -> None:
    text = wsdl_text()
    head, _, rest = text.partition("?>")
    evil = tmp_path / "evil.wsdl"
    evil.write_text(f'{head}?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret_file}">]>{rest}', encoding="utf-8")
    with pytest.raises(PermanentError) as refused:
        JccClient(str(evil), endpoint_url=ENDPOINT)
    assert MARKER not in str(refused.value)
