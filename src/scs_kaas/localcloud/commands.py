"""Run the servers' management commands, output to a log file, failures as CloudError."""

from __future__ import annotations

import subprocess
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from scs_kaas.errors import CloudError


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_logged(
    argv: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    ok_codes: Collection[int] = (0,),
    stdin_text: str | None = None,
) -> None:
    """Run `argv`, output appended to `log`; on failure raise CloudError with the log's tail."""
    with log.open("a", encoding="utf-8") as out:
        # the command line only: some commands get passwords through env or stdin, never argv
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        result = subprocess.run(
            argv,
            env=None if env is None else dict(env),
            input=stdin_text,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    if result.returncode not in ok_codes:
        raise CloudError(
            f"{Path(argv[0]).name} {' '.join(argv[1:3])} failed (exit {result.returncode}); "
            f"from {log}:\n{_tail(log)}"
        )


def query_succeeds(argv: Sequence[str], stdin_text: str | None = None) -> bool:
    result = subprocess.run(argv, input=stdin_text, capture_output=True, text=True, check=False)
    return result.returncode == 0


def query_output(argv: Sequence[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else ""
