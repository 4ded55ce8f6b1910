"""Alerts for functional administrators: conditions read from the store, sent once per episode, then "resolved"."""
