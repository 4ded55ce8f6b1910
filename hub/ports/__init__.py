"""Ports: the hub's typed interfaces to its peers, in hub terms (canonical models in, hub-level errors out)."""
