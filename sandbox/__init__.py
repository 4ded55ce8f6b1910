"""Simulators of every peer on loopback, for the demo and end-to-end tests."""
