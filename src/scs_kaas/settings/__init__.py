"""Typed settings: models, defaults, layering, validation, R1 import. Knows nothing of clouds."""
