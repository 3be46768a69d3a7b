"""How a refusal of a hostile settings file must look: short and quick (issue #16)."""

from __future__ import annotations

MAX_ERROR_OUTPUT = 27_000
FAST = 20.0  # seconds, generous for a loaded machine; the hang this guards against is endless
