"""`kaas mgmt` as a user runs it: dry runs, bad input, and commands that need no cloud."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scs_kaas.workflows.mgmt.state import MgmtState, StatePaths, environment_lock, save_state

KAAS = str(Path(sys.executable).parent / "kaas")


def _kaas(*args: str, env_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KAAS, "mgmt", *args, "-e", str(env_dir), "--state-dir", str(env_dir / "state")],
        capture_output=True,
        text=True,
        check=False,
    )


def test_create_dry_run_plans_without_a_cloud(tmp_path: Path) -> None:
    (tmp_path / "environment.yaml").write_text("prefix: team\ncloud: nowhere\n")
    result = _kaas("create", "--dry-run", "-o", "json", env_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    names = {step["step"]: step["name"] for step in plan["steps"]}
    assert names["server"] == "team-mgmt"
    assert names["keypair"] == "team-keypair"
    assert names["network"] == "team-mgmt-net"
    assert not (tmp_path / "state").exists()  # a dry run writes nothing


def test_invalid_settings_exit_2_before_any_cloud_call(tmp_path: Path) -> None:
    result = _kaas("create", "--set", "management.allowed_cidrs=[300.0.0.0/8]", env_dir=tmp_path)
    assert result.returncode == 2
    assert "management.allowed_cidrs[0]" in result.stderr


def test_an_existing_management_cluster_rules_out_a_host(tmp_path: Path) -> None:
    (tmp_path / "environment.yaml").write_text("management: {kubeconfig: /x/kubeconfig}\n")
    result = _kaas("create", env_dir=tmp_path)
    assert result.returncode == 2
    assert "management.kubeconfig" in result.stderr


def test_ssh_print_uses_the_recorded_host_and_key(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path / "state", "capi")
    save_state(paths, MgmtState(prefix="capi", cloud="openstack", floating_ip_address="192.0.2.9"))
    paths.private_key.write_text("not shown")
    paths.private_key.chmod(0o600)
    result = _kaas("ssh", "--print", env_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ssh -i {paths.private_key} ")
    assert result.stdout.rstrip().endswith("ubuntu@192.0.2.9")
    assert "not shown" not in result.stdout + result.stderr


def test_wait_without_a_host_says_what_to_do(tmp_path: Path) -> None:
    result = _kaas("wait", env_dir=tmp_path)
    assert result.returncode == 1
    assert "run `kaas mgmt create` first" in result.stderr


def test_a_create_while_another_holds_the_environment_lock_refuses_or_waits(
    tmp_path: Path,
) -> None:
    """The lock is taken before any cloud call (`cloud: nowhere` is never connected to)."""
    (tmp_path / "environment.yaml").write_text("prefix: team\ncloud: nowhere\n")
    paths = StatePaths(tmp_path / "state", "team")
    said: list[str] = []
    with environment_lock(paths, "kaas mgmt delete", 0, said.append):
        refused = _kaas("create", "--lock-timeout", "0", env_dir=tmp_path)
        waited = _kaas("create", "--lock-timeout", "1", env_dir=tmp_path)
    message = " ".join(refused.stderr.split())
    assert refused.returncode == 1, refused.stderr
    assert f"kaas mgmt delete of prefix team (pid {os.getpid()} on " in message
    assert "is running and holds" in message and "nothing was changed" in message
    assert "Traceback" not in refused.stderr
    assert waited.returncode == 1, waited.stderr
    waiting = " ".join(waited.stderr.split())
    assert f"waiting for kaas mgmt delete of prefix team (pid {os.getpid()} on " in waiting
    assert "still holds" in waiting and "after 1 s" in waiting
    assert not paths.root.exists()  # refused before anything was made
    assert said == []
