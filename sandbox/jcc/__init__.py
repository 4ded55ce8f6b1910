"""Simulator of JCC-Afspraken's SOAP service `GenericGuidanceSystem2` with a generated data set."""

from sandbox.jcc.dataset import SimAppointment, generate
from sandbox.jcc.simulator import JccSimulator, wsdl_text

__all__ = ["JccSimulator", "SimAppointment", "generate", "wsdl_text"]
