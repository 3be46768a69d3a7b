"""`kaas mgmt ssh` and `kaas mgmt kubeconfig` as a user runs them, against a real sshd.

The environment's state dir holds what `kaas mgmt create` leaves there (the host's address, the
key pair scs-kaas generates, its public half authorized on the host) and the host key
`kaas mgmt wait` recorded; the cloud `nowhere` makes any cloud call fail, so these commands
must need none.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from scs_kaas.ssh.host_trust import record_host_keys
from scs_kaas.ssh.hostkeys import host_keys
from scs_kaas.ssh.keypair import KeyFiles, ensure_key
from scs_kaas.workflows.mgmt.state import MgmtState, StatePaths, save_state
from tests.support.kind_kubeconfig import KIND_KUBECONFIG
from tests.support.sshd import SshHost

KAAS = str(Path(sys.executable).parent / "kaas")


def _environment(tmp_path: Path, host: SshHost) -> StatePaths:
    (tmp_path / "environment.yaml").write_text(
        f"prefix: capi\ncloud: nowhere\nmanagement: {{ssh_username: {host.user}}}\n"
    )
    paths = StatePaths(tmp_path / "state", "capi")
    save_state(paths, MgmtState(prefix="capi", cloud="nowhere", floating_ip_address=host.address))
    # the environment's own key, made the way `kaas mgmt create` makes it
    host.authorize(ensure_key(KeyFiles(paths.private_key), comment="scs-kaas capi"))
    record_host_keys(paths.known_hosts, host.address, host_keys(host.console_log()))
    return paths


def _kaas(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [KAAS, "mgmt", *args[:1], "-e", str(tmp_path), "--state-dir", str(tmp_path / "state")]
    return subprocess.run(
        [*command, *args[1:]],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_kaas_mgmt_ssh_runs_the_command_on_the_host(ssh_host: SshHost, tmp_path: Path) -> None:
    _environment(tmp_path, ssh_host)
    result = _kaas(tmp_path, "ssh", "--", "echo", "hi", "from", "$HOME")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"hi from {ssh_host.home}\n"


def test_kaas_mgmt_ssh_passes_the_remote_exit_code_on(ssh_host: SshHost, tmp_path: Path) -> None:
    _environment(tmp_path, ssh_host)
    assert _kaas(tmp_path, "ssh", "--", "exit", "3").returncode == 3


def test_kaas_mgmt_kubeconfig_writes_the_tunnels_kubeconfig(
    ssh_host: SshHost, tmp_path: Path
) -> None:
    paths = _environment(tmp_path, ssh_host)
    kube = ssh_host.home / ".kube"
    kube.mkdir(exist_ok=True)
    (kube / "config").write_text(yaml.safe_dump(KIND_KUBECONFIG))
    try:
        result = _kaas(tmp_path, "kubeconfig", "--port", "16443")
    finally:
        shutil.rmtree(kube)
    assert result.returncode == 0, result.stderr
    assert "c2VjcmV0" not in result.stdout + result.stderr  # the client key is never shown
    written = yaml.safe_load(paths.kubeconfig.read_text())
    assert written["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:16443"
    assert stat.S_IMODE(paths.kubeconfig.stat().st_mode) == 0o600
    assert "-N -L 127.0.0.1:16443:127.0.0.1:6443 -o ExitOnForwardFailure=yes" in result.stdout
