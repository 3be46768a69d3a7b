"""The steps a workflow reports as it goes: each event, the callback that gets it, and the
callback that drops them (the CLI shows them with cli/progress.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StepEvent:
    step: str
    phase: str  # "start", then "created", "exists", "changed", "skipped" or "deleted"
    detail: str = ""


Progress = Callable[[StepEvent], None]


def quiet(event: StepEvent) -> None:
    del event
