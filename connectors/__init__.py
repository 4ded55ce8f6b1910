"""One module (or package) per peer system: I/O only, typed, no business rules."""
