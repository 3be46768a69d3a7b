"""The SSH tunnel's process handling, with a local listener in place of ssh (nothing boots in the
local cloud), and the choice of management cluster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scs_kaas.errors import ClusterError, KaasError
from scs_kaas.localmgmt import ManagementCluster
from scs_kaas.settings.model import Settings
from scs_kaas.ssh.target import SshTarget
from scs_kaas.workflows.mgmt.state import StatePaths
from scs_kaas.workflows.mgmt.tunnel import (
    forwarded_port,
    management_access,
    port_accepts,
    read_kubeconfig,
)

TARGET = SshTarget("ubuntu", "203.0.113.7", Path("/s/id_ed25519"), Path("/s/known_hosts"))
LISTEN = (
    "import socket, sys\n"
    "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
    "while True: s.accept()[0].close()\n"
)
KIND_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "kind-mgmt", "cluster": {"server": "https://127.0.0.1:6443"}}],
    "users": [{"name": "kind-mgmt", "user": {"client-key-data": "c2VjcmV0"}}],
    "contexts": [{"name": "kind-mgmt", "context": {"cluster": "kind-mgmt", "user": "kind-mgmt"}}],
    "current-context": "kind-mgmt",
}


class FakeSsh:
    """Runs `program` instead of the ssh tunnel; keeps the process and the command for checks."""

    def __init__(self, *program: str) -> None:
        self.program = program
        self.processes: list[subprocess.Popen[Any]] = []
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        self.commands.append(command)
        forward = command[command.index("-L") + 1]
        port = forward.split(":")[1]
        process = subprocess.Popen([sys.executable, *self.program, port], **kwargs)
        self.processes.append(process)
        return process


def test_the_tunnel_yields_its_port_once_it_accepts_and_stops_ssh_after() -> None:
    ssh = FakeSsh("-c", LISTEN)
    with forwarded_port(TARGET, timeout=20, popen=ssh) as port:
        assert port_accepts(port)
        assert ssh.commands[0][0] == "ssh" and f"127.0.0.1:{port}:127.0.0.1:" in " ".join(
            ssh.commands[0]
        )
        assert ssh.processes[0].poll() is None
    assert ssh.processes[0].poll() is not None  # terminated and reaped
    assert not port_accepts(port)


def test_an_ssh_that_exits_at_once_is_reported() -> None:
    ssh = FakeSsh("-c", "import sys; sys.exit(255)")
    with (
        pytest.raises(KaasError, match=r"ended at once \(exit 255\)"),
        forwarded_port(TARGET, timeout=20, popen=ssh),
    ):
        pass


def test_a_tunnel_that_never_accepts_times_out_and_ssh_is_stopped() -> None:
    ssh = FakeSsh("-c", "import time; time.sleep(600)")
    with (
        pytest.raises(KaasError, match="timed out"),
        forwarded_port(TARGET, timeout=0.5, popen=ssh),
    ):
        pass
    assert ssh.processes[0].poll() is not None


def test_the_kubeconfig_is_read_into_memory_pointing_at_the_tunnel() -> None:
    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert command[-2:] == ["cat", ".kube/config"]
        return subprocess.CompletedProcess(command, 0, yaml.safe_dump(KIND_KUBECONFIG), "")

    config = yaml.safe_load(read_kubeconfig(TARGET, 40123, "team-mgmt", run))
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:40123"
    assert config["current-context"] == "team-mgmt"

    def failing(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 255, "", "")

    with pytest.raises(KaasError, match="kaas mgmt wait"):
        read_kubeconfig(TARGET, 40123, "team-mgmt", failing)


def test_management_kubeconfig_is_used_when_set(
    management: ManagementCluster, kubeconfig_file: Path, tmp_path: Path
) -> None:
    settings = Settings(cloud="c", prefix="team", management={"kubeconfig": str(kubeconfig_file)})
    with management_access(settings, StatePaths(tmp_path, "team"))() as client:
        assert client is not None
        assert client.server == f"https://127.0.0.1:{management.ports.apiserver}"


def test_without_a_host_or_kubeconfig_opening_fails_with_what_to_do(tmp_path: Path) -> None:
    access = management_access(Settings(cloud="c", prefix="team"), StatePaths(tmp_path, "team"))
    with pytest.raises(KaasError, match="kaas mgmt create"):
        access()
    missing = Settings(cloud="c", prefix="team", management={"kubeconfig": str(tmp_path / "x")})
    with pytest.raises(ClusterError, match="does not exist"):
        management_access(missing, StatePaths(tmp_path, "team"))()
