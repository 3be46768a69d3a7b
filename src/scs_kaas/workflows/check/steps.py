"""Running a check's steps in order: each timed and reported, the first failure stops the run,
and the cleanup runs however the run ended (a failure, Ctrl-C, SIGTERM turned into
KeyboardInterrupt by the CLI). A kill that gives no chance to clean up is handled by the next
run, whose first step removes what an earlier one left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scs_kaas.checks.smoke_steps import EXIT_CODES, INTERRUPTED, Step
from scs_kaas.errors import KaasError
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

StepFunction = Callable[[], str]  # returns what it found; raises Skipped, KaasError


class Skipped(Exception):
    """The step does not apply to this cluster (no ingress controller, no snapshot class)."""


@dataclass(frozen=True)
class StepOutcome:
    step: str
    status: str  # passed, failed, skipped, interrupted, kept
    seconds: float
    detail: str


@dataclass(frozen=True)
class RunReport:
    steps: list[StepOutcome] = field(default_factory=list)
    exit_code: int = 0
    failed_step: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def run_steps(
    steps: Sequence[tuple[Step, StepFunction]],
    cleanup: StepFunction | None,
    progress: Progress = quiet,
    clock: Callable[[], float] = time.monotonic,
) -> RunReport:
    """Run `steps`, then `cleanup` (None: kept, e.g. --keep). KeyboardInterrupt is caught, the
    cleanup done, and the run reported as interrupted (exit 130)."""
    outcomes: list[StepOutcome] = []
    failed: Step | None = None
    error: str | None = None
    interrupted = False
    for step, function in steps:
        outcome = _run_one(step, function, progress, clock)
        outcomes.append(outcome)
        if outcome.status == "interrupted":
            interrupted, error = True, "interrupted"
            break
        if outcome.status == "failed":
            failed, error = step, outcome.detail
            break
    if cleanup is None:
        outcomes.append(StepOutcome(Step.cleanup, "kept", 0.0, "--keep: everything left in place"))
        progress(StepEvent(Step.cleanup, "kept", "left in place (--keep)"))
    else:
        outcome = _run_one(Step.cleanup, cleanup, progress, clock)
        outcomes.append(outcome)
        if outcome.status in ("failed", "interrupted") and failed is None and not interrupted:
            failed, error = Step.cleanup, outcome.detail
        interrupted = interrupted or outcome.status == "interrupted"
    if interrupted:
        return RunReport(outcomes, INTERRUPTED, failed, error or "interrupted")
    if failed is not None:
        return RunReport(outcomes, EXIT_CODES[failed], failed, error)
    return RunReport(outcomes)


def _run_one(
    step: Step, function: StepFunction, progress: Progress, clock: Callable[[], float]
) -> StepOutcome:
    started = clock()
    try:
        progress(StepEvent(step, "start", ""))
        detail = function()
        status = "passed"
    except Skipped as skipped:
        detail, status = str(skipped), "skipped"
    except KaasError as failure:
        detail, status = str(failure), "failed"
    except KeyboardInterrupt:
        detail, status = "interrupted", "interrupted"
    seconds = round(clock() - started, 1)
    try:
        progress(StepEvent(step, status, f"{seconds:.1f}s {detail}"))
    except KeyboardInterrupt:
        status = "interrupted"
    return StepOutcome(step, status, seconds, detail)
