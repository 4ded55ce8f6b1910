"""KCM satisfaction surveys (BRIEF §3.5): completed visits → candidates → a daily invitation file to KCM.

Importing this package registers the flow `surveys` and the scheduled job `surveys`.
"""

from __future__ import annotations

from flows.surveys import batch, candidates
from flows.surveys.batch import BatchResult, SurveyBatch, run_surveys
from hub.store.surveys import SurveyStore

__all__ = ["BatchResult", "SurveyBatch", "SurveyStore", "batch", "candidates", "run_surveys"]
