"""Start detached processes and stop exactly those again, by the PID files we wrote.

A PID file holds the PID and the process's start time (from /proc), so a PID the kernel has
since given to another process is never signalled. Each process leads its own session, so
signalling its process group also reaches the workers it forked.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scs_kaas.errors import CloudError
from scs_kaas.localcloud.waiting import wait_until

# `setsid -f` forks, so the service is no child of ours: the caller (a CLI run, a pytest
# session) may exit or live on without leaving zombies. The shell writes its PID, then execs
# the service under that same PID.
_LAUNCHER = 'echo $$ > "$0"; exec "$@"'


@dataclass(frozen=True)
class PidRecord:
    pid: int
    start_time: str

    def is_alive(self) -> bool:
        """The process is still the one we started (and is not a zombie)."""
        stat = _read_stat(self.pid)
        return stat is not None and stat[0] == self.start_time and stat[1] != "Z"


def _read_stat(pid: int) -> tuple[str, str] | None:
    """(start time, state) of `pid` from /proc, or None if there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    after_name = text[text.rindex(")") + 2 :].split()
    return after_name[19], after_name[0]


def record_of(pid: int) -> PidRecord | None:
    """The record of a running process, e.g. this one's (`os.getpid()`)."""
    stat = _read_stat(pid)
    return PidRecord(pid, stat[0]) if stat is not None else None


def write_pid_file(path: Path, record: PidRecord) -> None:
    path.write_text(f"{record.pid} {record.start_time}\n", encoding="utf-8")


def read_pid_file(path: Path) -> PidRecord | None:
    try:
        pid_text, start_time = path.read_text(encoding="utf-8").split()
        return PidRecord(int(pid_text), start_time)
    except (OSError, ValueError):
        return None


def running(path: Path) -> PidRecord | None:
    """The live process recorded in `path`, if any."""
    record = read_pid_file(path)
    return record if record is not None and record.is_alive() else None


def start_detached(
    argv: Sequence[str], env: Mapping[str, str], pid_file: Path, log: Path, cwd: Path
) -> PidRecord:
    """Start `argv` in its own session, output to `log`; record its PID and start time."""
    pid_file.unlink(missing_ok=True)
    with log.open("ab") as out:
        subprocess.run(
            ["setsid", "-f", "sh", "-c", _LAUNCHER, str(pid_file), *argv],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    wait_until(
        lambda: pid_file.stat().st_size > 0 if pid_file.exists() else False, 10, pid_file.name
    )
    pid = int(pid_file.read_text(encoding="utf-8").strip())
    record = record_of(pid)
    if record is None:
        raise CloudError(f"{argv[0]} exited right after starting; see {log}")
    write_pid_file(pid_file, record)
    return record


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_together(pid_files: Sequence[Path], timeout: float = 10) -> list[Path]:
    """Stop the process groups recorded in `pid_files` at once: TERM, then KILL after `timeout`.

    Returns the PID files whose process was running. Signalled together, because oslo
    services wait out their graceful-shutdown time one after another otherwise.
    """
    signalled: dict[Path, int] = {}
    for pid_file in pid_files:
        record = running(pid_file)
        pid_file.unlink(missing_ok=True)
        if record is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(record.pid, signal.SIGTERM)
            signalled[pid_file] = record.pid

    def all_gone() -> bool:
        return not any(_group_exists(pgid) for pgid in signalled.values())

    try:
        wait_until(all_gone, timeout, "processes to end")
    except CloudError:
        for pgid in signalled.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        wait_until(all_gone, 10, "processes to die after SIGKILL")
    return list(signalled)
