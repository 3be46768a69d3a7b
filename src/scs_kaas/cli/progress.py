"""Progress of a long workflow on stderr: one spinner while a step runs, one line when it ends."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.status import Status

from scs_kaas.cli.output import console

if TYPE_CHECKING:  # the workflows import openstacksdk: not on the way to `kaas --help`
    from scs_kaas.workflows.progress import StepEvent

MARKS = {"created": "+", "exists": "=", "changed": "~", "skipped": "-", "deleted": "x"}


class RichProgress:
    """A `Progress` for `with`: the spinner is stopped however the block ends."""

    def __init__(self) -> None:
        self.console = console(stderr=True)
        self.status: Status | None = None

    def __call__(self, event: StepEvent) -> None:
        if event.phase == "start":
            if self.status is None:
                self.status = self.console.status("")
                self.status.start()
            self.status.update(f"{event.step}: {escape(event.detail)}")
            return
        self._stop()
        mark = MARKS.get(event.phase, " ")
        self.console.print(f"{mark} {event.step:<18} {event.phase:<8} {escape(event.detail)}")

    def _stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
