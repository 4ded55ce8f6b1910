"""The chaos suite's yardsticks: snapshot differences and duplicates created, against the oracle."""

from __future__ import annotations

from tests.chaos.harness import differences, duplicates_created


def test_differences_name_the_path_not_the_value() -> None:
    oracle = {"register": {"A-1": {"status": "completed", "email": "jan@example.nl"}}, "x": 1}
    chaos = {"register": {"A-1": {"status": "started", "email": "jan@example.nl"}}, "y": 1}
    assert differences(oracle, chaos) == ["/register/A-1/status: differs", "/x: only in oracle", "/y: only in chaos"]
    assert differences(oracle, oracle) == []


def test_duplicates_are_copies_beyond_one_or_beyond_the_oracle() -> None:
    oracle = {"cm": {"count": {"A-1:booked": 1, "A-2:booked": 1}}, "register.notifications": {"('A-3', 'x')": 2}}
    same = {"cm": {"count": {"A-1:booked": 1, "A-2:booked": 1}}, "register.notifications": {"('A-3', 'x')": 2}}
    assert duplicates_created(same, oracle) == 0
    doubled = {"cm": {"count": {"A-1:booked": 3, "A-2:booked": 1}}, "register.notifications": {"('A-3', 'x')": 3}}
    assert duplicates_created(doubled, oracle) == 3
