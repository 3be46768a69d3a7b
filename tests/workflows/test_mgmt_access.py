"""SSH, boot watching and the tunnelled kubeconfig: built commands and fake runs (nothing boots
in the local cloud, so these are checked by construction)."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scs_kaas.errors import KaasError
from scs_kaas.ssh.host_trust import knows_host, record_host_keys
from scs_kaas.ssh.target import SshTarget, shell_line, ssh_command
from scs_kaas.workflows.mgmt.access import (
    WATCH_SCRIPT,
    ensure_host_keys,
    fetch_kubeconfig,
    kubeconfig_command,
    target_of,
    tunnel_command,
    tunnel_kubeconfig,
    wait_for_bootstrap,
    watch_command,
)
from scs_kaas.workflows.mgmt.state import MgmtState, StatePaths, save_state
from tests.support.host_key_samples import ECDSA, ED25519, REBUILT

TARGET = SshTarget("ubuntu", "203.0.113.7", Path("/s/team/id_ed25519"), Path("/s/team/known_hosts"))
SSH = [
    "ssh",
    "-i",
    "/s/team/id_ed25519",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "UserKnownHostsFile=/s/team/known_hosts",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "ServerAliveInterval=30",
]
KIND_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- cluster: {certificate-authority-data: Q0E=, server: 'https://127.0.0.1:6443'}
  name: kind-kind
contexts:
- context: {cluster: kind-kind, user: kind-kind}
  name: kind-kind
current-context: kind-kind
users:
- name: kind-kind
  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}
"""


def test_ssh_command() -> None:
    assert ssh_command(TARGET) == [*SSH, "ubuntu@203.0.113.7"]
    assert ssh_command(TARGET, ["kubectl", "get", "pods"]) == [
        *SSH,
        "ubuntu@203.0.113.7",
        "kubectl",
        "get",
        "pods",
    ]
    assert shell_line(ssh_command(TARGET, ["echo a b"])).endswith("ubuntu@203.0.113.7 'echo a b'")


def test_watch_tails_the_boot_until_a_marker() -> None:
    assert watch_command(TARGET) == [*SSH, "ubuntu@203.0.113.7", WATCH_SCRIPT]
    assert "tail -n +1 -F /var/log/cloud-init-output.log" in WATCH_SCRIPT
    assert WATCH_SCRIPT.endswith("[ -e /var/lib/scs-kaas/bootstrap-done ]")
    assert "/var/lib/scs-kaas/bootstrap-failed" in WATCH_SCRIPT
    subprocess.run(["bash", "-n", "-c", WATCH_SCRIPT], check=True)


def test_tunnel_and_kubeconfig_commands() -> None:
    assert tunnel_command(TARGET, 16443) == [
        *SSH,
        "-N",
        "-L",
        "127.0.0.1:16443:127.0.0.1:6443",
        "-o",
        "ExitOnForwardFailure=yes",
        "ubuntu@203.0.113.7",
    ]
    assert kubeconfig_command(TARGET) == [*SSH, "ubuntu@203.0.113.7", "cat", ".kube/config"]


def test_tunnel_kubeconfig_renames_and_points_at_the_tunnel() -> None:
    assert yaml.safe_load(tunnel_kubeconfig(KIND_KUBECONFIG, 16443, "team-mgmt")) == {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "team-mgmt",
                "cluster": {
                    "certificate-authority-data": "Q0E=",
                    "server": "https://127.0.0.1:16443",
                },
            }
        ],
        "users": [
            {
                "name": "team-mgmt",
                "user": {"client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ"},
            }
        ],
        "contexts": [
            {"name": "team-mgmt", "context": {"cluster": "team-mgmt", "user": "team-mgmt"}}
        ],
        "current-context": "team-mgmt",
    }
    with pytest.raises(KaasError, match="not a kind kubeconfig"):
        tunnel_kubeconfig("just: text", 1, "x")


class FakeRun:
    """Stands in for subprocess.run: answers with the given exit codes and output, in turn."""

    def __init__(self, *answers: tuple[int, str]) -> None:
        self.answers = list(answers)
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        code, out = self.answers.pop(0)
        return subprocess.CompletedProcess(command, code, out, "")


def test_wait_retries_while_ssh_cannot_connect() -> None:
    run = FakeRun((255, ""), (255, ""), (0, ""))
    wait_for_bootstrap(TARGET, timeout=60, run=run, interval=0)
    assert run.commands == [watch_command(TARGET)] * 3


def test_wait_reports_a_failed_bootstrap() -> None:
    with pytest.raises(KaasError, match=r"bootstrap of 203\.0\.113\.7 failed"):
        wait_for_bootstrap(TARGET, timeout=60, run=FakeRun((1, "")), interval=0)


def test_fetch_kubeconfig_writes_it_private(tmp_path: Path) -> None:
    out = tmp_path / "kubeconfig"
    fetch_kubeconfig(TARGET, 16443, "team-mgmt", out, run=FakeRun((0, KIND_KUBECONFIG)))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert yaml.safe_load(out.read_text())["clusters"][0]["cluster"]["server"].endswith(":16443")
    with pytest.raises(KaasError, match="could not read the kubeconfig"):
        fetch_kubeconfig(TARGET, 1, "x", out, run=FakeRun((255, "")))


def test_target_needs_a_recorded_host(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path, "team")
    with pytest.raises(KaasError, match="run `kaas mgmt create` first"):
        target_of(paths, "prod", "ubuntu")
    save_state(paths, MgmtState(prefix="team", cloud="prod", floating_ip_address="203.0.113.7"))
    paths.private_key.write_text("key")
    assert target_of(paths, "prod", "ubuntu") == SshTarget(
        "ubuntu", "203.0.113.7", paths.private_key, paths.known_hosts
    )
    assert target_of(paths, "prod", "ubuntu", trust_on_first_use=True).trust_on_first_use


def test_trust_on_first_use_accepts_a_new_key_and_says_so(tmp_path: Path) -> None:
    tofu = SshTarget("ubuntu", "203.0.113.7", TARGET.private_key, TARGET.known_hosts, True)
    assert ssh_command(tofu)[8] == "StrictHostKeyChecking=accept-new"
    assert tunnel_command(tofu, 1)[8] == "StrictHostKeyChecking=accept-new"
    note = ensure_host_keys(tofu, _never_called)
    assert note is not None and "NOT verified" in note


def _never_called() -> Any:
    raise AssertionError("the cloud was asked although the host keys were known")


def test_recorded_keys_replace_older_ones_and_need_no_cloud(tmp_path: Path) -> None:
    target = SshTarget("ubuntu", "203.0.113.7", tmp_path / "id", tmp_path / "known_hosts")
    assert not knows_host(target)
    target.known_hosts.write_text(f"203.0.113.7 {REBUILT.type} {REBUILT.key}\nother x y\n")
    record_host_keys(target.known_hosts, "203.0.113.7", (ED25519, ECDSA))
    assert target.known_hosts.read_text() == (
        "other x y\n"
        f"203.0.113.7 {ED25519.type} {ED25519.key}\n"
        f"203.0.113.7 {ECDSA.type} {ECDSA.key}\n"
    )
    assert stat.S_IMODE(target.known_hosts.stat().st_mode) == 0o600
    assert knows_host(target)
    assert ensure_host_keys(target, _never_called) is None
