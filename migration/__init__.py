"""The one-off JCC conversion: extract, stage, transform, load, reconcile, report (issue: JCC conversion)."""
