"""Exclusive locks on local files (flock): one process at a time, released when it exits.

`exclusive` blocks until it has the lock (the local test clouds' own start-up). `held` is the
environment's lock of the mutating `kaas` commands: it records who holds it, tells a second run
who it waits for, and gives up after a bounded time. The kernel drops an flock when its holder
dies, however it dies, so a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from scs_kaas.errors import KaasError

POLL_INTERVAL = 0.5  # flock has no timeout of its own: try again this often


class LockedError(KaasError):
    """Another run holds the lock and did not let go in time (exit 1)."""


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an flock on `path` (created if needed); blocks while another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def holder_of(path: Path) -> str:
    """Who holds (or last held) the lock, as the holder recorded it: for messages."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return (
            f"{record['command']} (pid {record['pid']} on {record['host']}, "
            f"since {record['since']})"
        )
    except (OSError, ValueError, KeyError, TypeError):
        # not yet written by a holder that has only just taken it
        return "another kaas command"


@contextmanager
def held(
    path: Path,
    command: str,
    timeout: float,
    say: Callable[[str], None],
    interval: float = POLL_INTERVAL,
) -> Iterator[None]:
    """Hold the lock at `path` while `command` runs.

    Taken at once when free; else `say` tells once whom this run waits for, and after `timeout`
    seconds (0: at once) LockedError names the holder and what to do.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if not _try_lock(descriptor):
            _wait(descriptor, path, timeout, say, interval)
        record = {
            "command": command,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, (json.dumps(record) + "\n").encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, 0)  # whoever reads it next finds no stale holder
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _wait(
    descriptor: int, path: Path, timeout: float, say: Callable[[str], None], interval: float
) -> None:
    holder = holder_of(path)
    if timeout <= 0:
        raise LockedError(
            f"{holder} is running and holds {path}; nothing was changed: run again when it is "
            "done (or pass --lock-timeout SECONDS to wait for it)"
        )
    say(f"waiting for {holder} to finish (up to {timeout:.0f} s; --lock-timeout) ...")
    deadline = time.monotonic() + timeout
    while not _try_lock(descriptor):
        if time.monotonic() >= deadline:
            raise LockedError(
                f"{holder_of(path)} still holds {path} after {timeout:.0f} s; nothing was "
                "changed: run again when it is done, or wait longer with --lock-timeout SECONDS"
            )
        time.sleep(interval)
