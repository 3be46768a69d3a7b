"""`kaas mgmt ssh --print` and host keys: verified with recorded keys, no cloud call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scs_kaas.workflows.mgmt.state import MgmtState, StatePaths, save_state
from tests.support.host_key_samples import ED25519

KAAS = str(Path(sys.executable).parent / "kaas")


def _ssh_print(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    # cloud `nowhere`: any cloud call would fail the command
    (tmp_path / "environment.yaml").write_text("prefix: capi\ncloud: nowhere\n")
    args = ["mgmt", "ssh", "--print", *flags, "-e", str(tmp_path)]
    return subprocess.run(
        [KAAS, *args, "--state-dir", str(tmp_path / "state")],
        capture_output=True,
        text=True,
        check=False,
    )


def _host(tmp_path: Path) -> StatePaths:
    paths = StatePaths(tmp_path / "state", "capi")
    save_state(paths, MgmtState(prefix="capi", cloud="nowhere", floating_ip_address="192.0.2.9"))
    paths.private_key.write_text("not shown")
    return paths


def test_recorded_keys_make_a_verified_command(tmp_path: Path) -> None:
    paths = _host(tmp_path)
    paths.known_hosts.write_text(ED25519.known_hosts_line("192.0.2.9") + "\n")
    result = _ssh_print(tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"-o UserKnownHostsFile={paths.known_hosts} -o StrictHostKeyChecking=yes" in (
        result.stdout
    )
    assert result.stderr == ""


def test_without_recorded_keys_print_says_how_to_get_them(tmp_path: Path) -> None:
    _host(tmp_path)
    result = _ssh_print(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "StrictHostKeyChecking=yes" in result.stdout
    assert "no host key of 192.0.2.9 is recorded yet: run `kaas mgmt wait`" in result.stderr
    tofu = _ssh_print(tmp_path, "--trust-on-first-use")
    assert "StrictHostKeyChecking=accept-new" in tofu.stdout
