"""Pure translation between the canonical model and each peer, plus editable value tables."""
