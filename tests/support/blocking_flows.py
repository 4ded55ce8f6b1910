"""Importing this module registers the blocking test flow in the product registry (subprocess tests)."""

from hub.registry import REGISTRY
from tests.support.flows import register_blocking

register_blocking(REGISTRY)
