"""Reaching a host over SSH: who, where, with which key and known_hosts, and the command line.

Command lines are built by pure functions (the local cloud boots nothing, so they are tested by
construction); running them is left to the caller (a `Runner`, `subprocess.run` by default).
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SSH_UNREACHABLE = 255  # ssh's own exit code: no connection (the host may still be booting)


@dataclass(frozen=True)
class SshTarget:
    user: str
    address: str
    private_key: Path
    known_hosts: Path
    # accept the key the host offers on first contact (clouds without console logs only)
    trust_on_first_use: bool = False

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.address}"


def ssh_command(
    target: SshTarget, remote: Sequence[str] = (), options: Sequence[str] = ()
) -> list[str]:
    return [
        "ssh",
        "-i",
        str(target.private_key),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        f"UserKnownHostsFile={target.known_hosts}",
        # only the keys recorded from the console log, unless the user chose otherwise
        "-o",
        "StrictHostKeyChecking=" + ("accept-new" if target.trust_on_first_use else "yes"),
        "-o",
        "ConnectTimeout=10",
        "-o",
        "ServerAliveInterval=30",
        *options,
        target.destination,
        *remote,
    ]


def shell_line(command: Sequence[str]) -> str:
    return shlex.join(command)


Runner = Callable[..., "subprocess.CompletedProcess[Any]"]
