"""How the survey batch reports a run (job counts printed by `sync` and stored as job detail); no I/O."""

from __future__ import annotations

from datetime import date

from flows.surveys.batch import BatchResult, DayResult


def test_job_result_sums_days_and_names_files() -> None:
    result = BatchResult([DayResult(date(2027, 3, 1), {"candidates": 3, "included": 2}, "a.csv", 2),
                          DayResult(date(2027, 3, 2), {"candidates": 1, "included": 0}, None, 0)], purged=4)
    job = result.as_job_result(dry_run=False)
    assert job.outcome == "ok"
    assert job.counts == {"dates": "2027-03-01,2027-03-02", "candidates": 4, "included": 2, "delivered": 2,
                          "files": "a.csv", "purged": 4}


def test_failed_delivery_makes_the_job_fail_with_the_reason() -> None:
    job = BatchResult(error="kcm sftp upload failed: ConnectionLost").as_job_result(dry_run=False)
    assert job.outcome == "failed" and job.counts["error"] == "kcm sftp upload failed: ConnectionLost"
    assert job.counts["dates"] == "-"


def test_dry_run_reports_no_purge() -> None:
    assert "purged" not in BatchResult().as_job_result(dry_run=True).counts
