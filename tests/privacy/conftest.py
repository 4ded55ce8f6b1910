"""Hypothesis runs with the `ci` profile here (see hypothesis_profile)."""

from tests.fuzz import hypothesis_profile

hypothesis_profile.load()
