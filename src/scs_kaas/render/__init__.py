"""Pure renderers: (settings, resolved facts) -> list[dict]. No I/O, clock or randomness."""
