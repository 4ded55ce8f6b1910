"""JCC-Afspraken → canonical appointment: value tables operations edit and the pure mapping."""

from mappings.jcc.mapping import MappingOutcome, compare_view, map_appointment
from mappings.jcc.records import JccAppointment, JccLocation, JccProduct, ProductLine, payload_hash
from mappings.jcc.tables import MappingTables, Rules, parse_tables

__all__ = [
    "JccAppointment",
    "JccLocation",
    "JccProduct",
    "MappingOutcome",
    "MappingTables",
    "ProductLine",
    "Rules",
    "compare_view",
    "map_appointment",
    "parse_tables",
    "payload_hash",
]
