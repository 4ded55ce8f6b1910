"""Qmatic Orchestra Calendar public API connector: client, vendor shapes and the `qmatic` register adapter.

Kept light on import: the vendor registry (`hub.ports.register_vendors`) names `connectors.qmatic.adapter:build`.
"""
