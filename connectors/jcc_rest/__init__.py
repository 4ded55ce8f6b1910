"""JCC G-Plan REST (warp API v1) connector: client, vendor shapes and the `jcc-rest` register adapter.

Kept light on import: the vendor registry (`hub.ports.register_vendors`) names `connectors.jcc_rest.adapter:build`.
"""
