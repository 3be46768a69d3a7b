"""Reaching the management host: SSH, following its boot, and the kind API through a tunnel.

Command lines are built by pure functions (the local cloud boots nothing, so they are tested by
construction); running them is a thin layer on `subprocess`. Host keys go to the environment's
own known_hosts file, so a re-created host never trips over ~/.ssh/known_hosts (R1 needed
`ssh-keygen -R` for that).
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scs_kaas.errors import KaasError
from scs_kaas.files import write_atomic
from scs_kaas.polling import wait_until
from scs_kaas.render import mgmt_bootstrap as boot
from scs_kaas.workflows.mgmt_state import StatePaths, load_state

SSH_UNREACHABLE = 255  # ssh's own exit code: no connection (the host may still be booting)
WATCH_RETRY_INTERVAL = 5.0


@dataclass(frozen=True)
class SshTarget:
    user: str
    address: str
    private_key: Path
    known_hosts: Path

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.address}"


def target_of(paths: StatePaths, cloud: str, user: str) -> SshTarget:
    """The recorded host of this environment; no cloud call."""
    state = load_state(paths, cloud)
    if not state.floating_ip_address or not paths.private_key.exists():
        raise KaasError(
            f"no management host is recorded for prefix {paths.prefix!r} in {paths.root}: "
            "run `kaas mgmt create` first"
        )
    return SshTarget(user, state.floating_ip_address, paths.private_key, paths.known_hosts)


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
        # trust on first use, into the environment's own known_hosts file
        "-o",
        "StrictHostKeyChecking=accept-new",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "ServerAliveInterval=30",
        *options,
        target.destination,
        *remote,
    ]


# Follows the boot like R1's `make watch`: prints cloud-init's output until a marker appears;
# exits 0 when the bootstrap is done, 1 when it failed.
WATCH_SCRIPT = (
    f"tail -n +1 -F {boot.OUTPUT_LOG} 2>/dev/null & tailer=$!; "
    f"while [ ! -e {boot.DONE_MARKER} ] && [ ! -e {boot.FAILED_MARKER} ]; do sleep 2; done; "
    f"sleep 1; kill $tailer; [ -e {boot.DONE_MARKER} ]"
)


def watch_command(target: SshTarget) -> list[str]:
    return ssh_command(target, [WATCH_SCRIPT])


def tunnel_command(target: SshTarget, local_port: int) -> list[str]:
    """Forward 127.0.0.1:<local_port> to the kind API on the host's loopback."""
    forward = f"127.0.0.1:{local_port}:127.0.0.1:{boot.KIND_API_PORT}"
    return ssh_command(target, options=["-N", "-L", forward, "-o", "ExitOnForwardFailure=yes"])


def kubeconfig_command(target: SshTarget) -> list[str]:
    return ssh_command(target, ["cat", ".kube/config"])


def shell_line(command: Sequence[str]) -> str:
    return shlex.join(command)


Runner = Callable[..., "subprocess.CompletedProcess[Any]"]


def wait_for_bootstrap(
    target: SshTarget,
    timeout: float,
    run: Runner = subprocess.run,
    interval: float = WATCH_RETRY_INTERVAL,
) -> None:
    """Follow the host's boot over SSH until the bootstrap is done; fail when it failed."""
    outcome: list[int] = []

    def finished() -> bool:
        try:
            result = run(watch_command(target), check=False, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise KaasError(
                f"the bootstrap of {target.address} took over {timeout:.0f} s"
            ) from None
        outcome[:] = [result.returncode]
        return result.returncode != SSH_UNREACHABLE

    wait_until(finished, timeout, f"SSH to {target.destination}", interval)
    if outcome[0] != 0:
        raise KaasError(
            f"the bootstrap of {target.address} failed (exit {outcome[0]}): see the lines above, "
            "`kaas mgmt ssh` and `sudo cat /var/log/cloud-init-output.log`"
        )


def tunnel_kubeconfig(text: str, local_port: int, name: str) -> str:
    """kind's kubeconfig, renamed to `name` and pointed at the local end of the tunnel.

    The API certificate names 127.0.0.1, so TLS verification still holds through the tunnel.
    """
    try:
        config = yaml.safe_load(text)
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        raise KaasError("the host's ~/.kube/config is not a kind kubeconfig") from None
    cluster = {**cluster, "server": f"https://127.0.0.1:{local_port}"}
    renamed = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    return yaml.safe_dump(renamed, sort_keys=False)


def fetch_kubeconfig(
    target: SshTarget, local_port: int, name: str, out: Path, run: Runner = subprocess.run
) -> Path:
    """Copy the management cluster's kubeconfig over SSH into `out` (0600, never printed)."""
    result = run(kubeconfig_command(target), check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise KaasError(
            f"could not read the kubeconfig from {target.address} (exit {result.returncode}); "
            "is the bootstrap done? (`kaas mgmt wait`)"
        )
    write_atomic(out, tunnel_kubeconfig(result.stdout, local_port, name), mode=0o600)
    return out
