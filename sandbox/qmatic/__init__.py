"""Qmatic Orchestra Calendar public API simulator."""

from sandbox.qmatic.simulator import API_ROOT, DEFAULT_API_KEY, QmaticSimulator

__all__ = ["API_ROOT", "DEFAULT_API_KEY", "QmaticSimulator"]
