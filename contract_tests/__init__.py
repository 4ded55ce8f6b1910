"""Provider contracts per connector; offline by default, `--live` against sandboxes."""
