"""The use cases, one module per flow; importing this package registers every built-in flow."""
