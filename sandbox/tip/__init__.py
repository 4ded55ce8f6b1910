"""Simulator of TIP's outbound webhook: records the hub's CloudEvents and checks their signatures."""

from sandbox.tip.receiver import DEFAULT_SECRET, EVENTS_PATH, Received, TipReceiver, verify

__all__ = ["DEFAULT_SECRET", "EVENTS_PATH", "Received", "TipReceiver", "verify"]
