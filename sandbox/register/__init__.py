"""Simulator of the SaaS appointment register (contract_tests/register/CONTRACT-SKETCH.md)."""

from sandbox.register.emitter import EmitterStats, EventEmitter
from sandbox.register.simulator import SOURCE, RegisterSimulator
from sandbox.register.state import (
    ALLOWED_FROM,
    NotFound,
    Notification,
    PreconditionFailed,
    RegisterError,
    TransitionNotAllowed,
)

__all__ = [
    "ALLOWED_FROM",
    "SOURCE",
    "EmitterStats",
    "EventEmitter",
    "NotFound",
    "Notification",
    "PreconditionFailed",
    "RegisterError",
    "RegisterSimulator",
    "TransitionNotAllowed",
]
