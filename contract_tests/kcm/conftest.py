"""Fixtures: the agreed KCM contract and sample invitations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.model import Appointment
from mappings.kcm import Candidate, KcmMapping, candidate_from_appointment, load_mapping

CONTRACT = Path(__file__).with_name("contract.yaml")


@pytest.fixture(scope="session")
def contract() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def mapping() -> KcmMapping:
    return load_mapping()


def sample(mapping: KcmMapping, i: int, **customer: Any) -> Candidate:
    data = {"id": f"A-{i}", "version": 4, "status": "completed", "start": "2027-03-01T09:00:00+01:00",
            "end": "2027-03-01T09:15:00+01:00", "location": {"id": "STW-KP", "name": "Stadswinkel Koningsplein"},
            "department": "Burgerzaken", "channel": ["online", "phone", "counter", "video"][i % 4],
            "products": [{"code": "PASPOORT-AANVRAAG", "name": "Paspoort aanvragen"}],
            "customer": {"bsn": "999993653", "firstName": "Jan", "lastNamePrefix": "van", "lastName": "Dijk",
                         "email": f"klant{i}@example.nl", "language": ["nl", "en"][i % 2], **customer}}
    c = candidate_from_appointment(Appointment.model_validate(data), mapping, "contract-secret")
    assert c is not None
    return c


@pytest.fixture
def samples(mapping: KcmMapping) -> list[Candidate]:
    return [sample(mapping, i) for i in range(8)]
