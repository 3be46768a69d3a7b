"""The management cluster (kind on the host) through an SSH tunnel, as a `KubeClient`.

`tunnel` starts `ssh -N -L` on a free local port, waits until the port accepts, reads kind's
kubeconfig over SSH into memory (never to disk), yields a client and stops ssh on the way out.
`management_access` picks the management cluster of an environment: `management.kubeconfig`
when set (an existing management cluster, no host), else the host's kind through the tunnel.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from scs_kaas import naming
from scs_kaas.errors import KaasError
from scs_kaas.kube.client import KubeClient
from scs_kaas.polling import wait_until
from scs_kaas.settings.model import Settings
from scs_kaas.ssh.host_trust import refused_host_key
from scs_kaas.ssh.target import Runner, SshTarget
from scs_kaas.workflows.mgmt import access as mgmt_access
from scs_kaas.workflows.mgmt.state import StatePaths

TUNNEL_TIMEOUT = 60.0
_STOP_TIMEOUT = 10.0

Popen = Callable[..., "subprocess.Popen[Any]"]
# Opens the management cluster: yields a client, or None when there is none to ask.
ManagementAccess = Callable[[], AbstractContextManager[KubeClient | None]]


def free_port() -> int:
    """A local port nobody listens on now (ssh binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def forwarded_port(
    target: SshTarget, timeout: float = TUNNEL_TIMEOUT, popen: Popen = subprocess.Popen
) -> Iterator[int]:
    """Run the SSH tunnel to the host's kind API; yield its local port once it accepts."""
    port = free_port()
    # ssh's messages go to a file (a pipe nobody reads could fill and stall a long tunnel),
    # read only when ssh ends at once, to name a refused host key
    with tempfile.TemporaryFile() as messages:
        process = popen(
            mgmt_access.tunnel_command(target, port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=messages,
        )
        try:

            def ready() -> bool:
                code = process.poll()
                if code is not None:
                    messages.seek(0)
                    if refused_host_key(messages.read()):
                        raise mgmt_access.host_key_error(target)
                    raise KaasError(
                        f"the SSH tunnel to {target.destination} ended at once (exit {code}); "
                        "is the host up? (`kaas mgmt ssh`)"
                    )
                return port_accepts(port)

            wait_until(ready, timeout, f"the SSH tunnel to {target.destination}", interval=0.1)
            yield port
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_kubeconfig(
    target: SshTarget,
    port: int,
    name: str,
    run: Runner = subprocess.run,
) -> str:
    """kind's kubeconfig from the host, pointed at the tunnel; kept in memory only."""
    result = run(
        mgmt_access.kubeconfig_command(target),
        check=False,
        capture_output=True,
        text=True,
        timeout=TUNNEL_TIMEOUT,
    )
    if result.returncode != 0:
        raise mgmt_access.ssh_failed(
            target, "read the kubeconfig", result, mgmt_access.KUBECONFIG_HINT
        )
    return mgmt_access.tunnel_kubeconfig(str(result.stdout), port, name)


@contextlib.contextmanager
def tunnel(
    target: SshTarget,
    name: str,
    timeout: float = TUNNEL_TIMEOUT,
    popen: Popen = subprocess.Popen,
    run: Runner = subprocess.run,
) -> Iterator[KubeClient]:
    """A client for the host's kind cluster, for as long as the block runs."""
    with forwarded_port(target, timeout, popen) as port:
        text = read_kubeconfig(target, port, name, run)
        with KubeClient.from_text(text, origin=f"the kubeconfig of {name}") as client:
            yield client


def management_access(
    settings: Settings, paths: StatePaths, timeout: float = TUNNEL_TIMEOUT
) -> ManagementAccess:
    """How to reach this environment's management cluster (errors raise on opening)."""

    def open_management() -> AbstractContextManager[KubeClient | None]:
        if settings.management.kubeconfig:
            return KubeClient.from_file(Path(settings.management.kubeconfig).expanduser())
        # StrictHostKeyChecking=yes: the host keys from the console log unless recorded already
        target = mgmt_access.verified_target(settings, paths, timeout=timeout)
        return tunnel(target, naming.mgmt_server(settings.prefix), timeout)

    return open_management
