"""`kaas` run in the test's own process, as the console script would run it."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from scs_kaas.cli.app import run


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def kaas(*argv: str) -> CliResult:
    """Run `kaas ARGV` in this process, as the console script would."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv))
    return CliResult(code, out.getvalue(), err.getvalue())
