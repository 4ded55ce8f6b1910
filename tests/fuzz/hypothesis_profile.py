"""Hypothesis profiles for the fuzz and security tests: `ci` (default) is derandomized and keeps no example
database, so runs reproduce; `dev` explores more (HYPOTHESIS_PROFILE=dev). Hypothesis' own files go to the
temp dir, never the repo."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
          HealthCheck.function_scoped_fixture]


def load() -> None:
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "afsprakenhub-hypothesis")
    settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=60,
                              suppress_health_check=_QUIET, print_blob=True)
    settings.register_profile("dev", database=None, deadline=None, max_examples=500,
                              suppress_health_check=_QUIET)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
