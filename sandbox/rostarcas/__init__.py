"""Simulator of RostarCAS's roster export: the JSON endpoint and the CSV file drop (contract_tests/rostarcas)."""

from sandbox.rostarcas.roster import CSV_COLUMNS, RosterEntry, file_name, to_csv
from sandbox.rostarcas.simulator import API_PREFIX, RostarcasSimulator

__all__ = ["API_PREFIX", "CSV_COLUMNS", "RostarcasSimulator", "RosterEntry", "file_name", "to_csv"]
