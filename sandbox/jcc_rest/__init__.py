"""JCC G-Plan REST (warp API v1) simulator."""

from sandbox.jcc_rest.simulator import API_ROOT, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, JccRestSimulator

__all__ = ["API_ROOT", "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "JccRestSimulator"]
