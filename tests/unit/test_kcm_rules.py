"""The KCM survey rules (mappings/kcm.py), each in isolation and combined; no I/O."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from hub.model import Appointment
from mappings.kcm import (
    Candidate,
    Exclusion,
    History,
    KcmMapping,
    candidate_from_appointment,
    load_mapping,
    respondent_key,
    select,
)
from tests.support.events import FAKE_BSN, appointment

SECRET = "unit-secret"
DAY = date(2027, 3, 1)


@pytest.fixture(scope="module")
def mapping() -> KcmMapping:
    return load_mapping()


def visit(mapping: KcmMapping, appointment_id: str = "A-1", customer: dict[str, Any] | None = None,
          **overrides: Any) -> Candidate:
    data = appointment(appointment_id, 5, "completed", **overrides)
    if customer is not None:
        data["customer"] = {**data["customer"], **customer}
    c = candidate_from_appointment(Appointment.model_validate(data), mapping, SECRET)
    assert c is not None
    return c


def only_reason(mapping: KcmMapping, c: Candidate, history: History | None = None) -> Exclusion | None:
    selection = select([c], mapping, history or History(), batch_date=DAY)
    if selection.included:
        return None
    [(reason, ids)] = selection.excluded.items()
    assert ids == [c.appointment_id]
    return reason


def test_a_plain_completed_visit_is_included(mapping: KcmMapping) -> None:
    assert only_reason(mapping, visit(mapping)) is None


def test_other_statuses_and_anonymous_visits_give_no_candidate(mapping: KcmMapping) -> None:
    for status in ("booked", "checked_in", "no_show", "cancelled"):
        a = Appointment.model_validate(appointment("A-1", 2, status))
        assert candidate_from_appointment(a, mapping, SECRET) is None
    anonymous = Appointment.model_validate(appointment("A-1", 2, "completed", customer=None))
    assert candidate_from_appointment(anonymous, mapping, SECRET) is None


def test_no_email(mapping: KcmMapping) -> None:
    assert only_reason(mapping, visit(mapping, customer={"email": None})) == Exclusion.NO_EMAIL


@pytest.mark.parametrize("flag", [{"surveyOptOut": True}, {"kcmOptOut": "true"}, {"surveyConsent": False}])
def test_opt_out_flag_in_the_event(mapping: KcmMapping, flag: dict[str, Any]) -> None:
    assert only_reason(mapping, visit(mapping, customer=flag)) == Exclusion.OPTED_OUT


def test_consent_true_is_not_an_opt_out(mapping: KcmMapping) -> None:
    assert only_reason(mapping, visit(mapping, customer={"surveyConsent": True})) is None


def test_opt_out_list_by_email_or_key(mapping: KcmMapping) -> None:
    c = visit(mapping)
    assert only_reason(mapping, c, History(opt_out_emails=frozenset({"jan@example.nl"}))) == Exclusion.OPTED_OUT
    assert c.respondent_key is not None
    assert only_reason(mapping, c, History(opt_out_keys=frozenset({c.respondent_key}))) == Exclusion.OPTED_OUT


@pytest.mark.parametrize("department", ["Zorg- en Veiligheidshuis", "zorg en veiligheidshuis", "Zorg en Veiligheid"])
def test_excluded_department(mapping: KcmMapping, department: str) -> None:
    assert only_reason(mapping, visit(mapping, department=department)) == Exclusion.EXCLUDED_DEPARTMENT


def test_excluded_product_even_among_others(mapping: KcmMapping) -> None:
    products = [{"code": "PASPOORT-AANVRAAG"}, {"code": "SCHULDHULPVERLENING"}]
    assert only_reason(mapping, visit(mapping, products=products)) == Exclusion.EXCLUDED_PRODUCT


def test_excluded_location_when_configured(mapping: KcmMapping) -> None:
    rules = mapping.rules.model_copy(update={"excluded_locations": ["STW-KP"]})
    m = mapping.model_copy(update={"rules": rules})
    assert only_reason(m, visit(m)) == Exclusion.EXCLUDED_LOCATION


def test_under_16_excluded_and_unknown_birth_date_included(mapping: KcmMapping) -> None:
    assert only_reason(mapping, visit(mapping, customer={"birthDate": "2011-03-02"})) == Exclusion.UNDER_AGE
    assert only_reason(mapping, visit(mapping, customer={"birthDate": "2011-03-01"})) is None  # 16 that day
    assert only_reason(mapping, visit(mapping, customer={"birthDate": None})) is None


def test_each_visit_at_most_once(mapping: KcmMapping) -> None:
    c = visit(mapping)
    assert only_reason(mapping, c, History(invited_visits=frozenset({"A-1"}))) == Exclusion.ALREADY_INVITED


def test_not_invited_within_90_days_by_respondent_key(mapping: KcmMapping) -> None:
    c = visit(mapping)
    assert c.respondent_key is not None
    recent = History(last_invited={c.respondent_key: DAY - timedelta(days=89)})
    assert only_reason(mapping, c, recent) == Exclusion.RECENTLY_INVITED
    assert only_reason(mapping, c, History(last_invited={c.respondent_key: DAY - timedelta(days=90)})) is None


def test_two_visits_of_one_person_on_one_day_give_one_invitation(mapping: KcmMapping) -> None:
    early = visit(mapping, "A-2")
    later = visit(mapping, "A-1", start=early.visit_start + timedelta(hours=2))
    selection = select([later, early], mapping, History(), batch_date=DAY)
    assert [c.appointment_id for c in selection.included] == ["A-2"]
    assert selection.excluded == {Exclusion.RECENTLY_INVITED: ["A-1"]}


def test_delivered_date_includes_nothing_new_unless_forced(mapping: KcmMapping) -> None:
    old, new = visit(mapping, "A-1"), visit(mapping, "A-2", customer={"bsn": None, "email": "b@example.nl"})
    assert old.respondent_key is not None
    history = History(invited_visits=frozenset({"A-1"}), invited_in_this_batch=frozenset({"A-1"}),
                      last_invited={old.respondent_key: DAY}, date_delivered=True)
    plain = select([old, new], mapping, history, batch_date=DAY)
    assert plain.included == [] and plain.counts()["excluded.already_invited"] == 1
    assert plain.counts()["excluded.date_already_delivered"] == 1
    forced = select([old, new], mapping, history, batch_date=DAY, force=True)
    assert [c.appointment_id for c in forced.included] == ["A-1", "A-2"]


def test_force_still_respects_a_later_opt_out(mapping: KcmMapping) -> None:
    c = visit(mapping)
    history = History(invited_visits=frozenset({"A-1"}), invited_in_this_batch=frozenset({"A-1"}),
                      opt_out_emails=frozenset({"jan@example.nl"}), date_delivered=True)
    assert select([c], mapping, history, batch_date=DAY, force=True).excluded == {Exclusion.OPTED_OUT: ["A-1"]}


def test_rules_combined_counts_every_reason(mapping: KcmMapping) -> None:
    cands = [
        visit(mapping, "A-ok"),
        visit(mapping, "A-noemail", customer={"bsn": None, "email": None}),
        visit(mapping, "A-optout", customer={"bsn": None, "email": "o@example.nl", "surveyOptOut": True}),
        visit(mapping, "A-zvh", customer={"bsn": None, "email": "z@example.nl"}, department="Zorg en Veiligheid"),
        visit(mapping, "A-sens", customer={"bsn": None, "email": "s@example.nl"},
              products=[{"code": "UITKERING-INTAKE"}]),
        visit(mapping, "A-young", customer={"bsn": None, "email": "y@example.nl", "birthDate": "2015-01-01"}),
        visit(mapping, "A-again", customer={"email": "other@example.nl"}),  # same BSN as A-ok, later in the day
    ]
    counts = select(cands, mapping, History(), batch_date=DAY).counts()
    assert counts["candidates"] == 7 and counts["included"] == 1
    for reason in ("no_email", "opted_out", "excluded_department", "excluded_product", "under_age",
                   "recently_invited"):
        assert counts[f"excluded.{reason}"] == 1, reason


def test_respondent_key_is_a_keyed_hash_of_bsn_else_email() -> None:
    by_bsn = respondent_key(SECRET, bsn=FAKE_BSN, email="jan@example.nl")
    assert by_bsn is not None and FAKE_BSN not in by_bsn and len(by_bsn) == 64
    assert by_bsn == respondent_key(SECRET, bsn=FAKE_BSN, email=None)
    assert by_bsn != respondent_key("other-secret", bsn=FAKE_BSN, email=None)
    assert respondent_key(SECRET, bsn=None, email="Jan@Example.nl ") == respondent_key(SECRET, bsn=None,
                                                                                      email="jan@example.nl")
    assert respondent_key(SECRET, bsn=None, email=None) is None
    with pytest.raises(ValueError):
        respondent_key("", bsn=FAKE_BSN, email=None)
