"""Drop unset values: CAPI v1beta2 rejects "", [] and {} where they would mean "not set"."""

from __future__ import annotations

from typing import Any


def compact(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: compact(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value
