"""A sandbox waste-depot gate and its pass list, for the demo."""
