"""Contract of the appointment register (openapi.yaml) and the connector's conformance to it."""
