"""`kaas mgmt move` as a user runs it: the console script with the real clusterctl (on PATH)
between two real management clusters (tests/support/mgmt_move_world.py has the setup).

The clusters run (unpaused: clusterctl moves running clusters only). The target `ha` must be
Available, which the real controller never reports here (nodes never join): an admission policy
of the test's own holds the Available=True the test wrote (`holding_available`).

For the default mode, which runs the move on the management host, `ssh` is a stand-in: it runs
the remote command line in a folder laid out like the host's home (kaas-env/, .kube/config), so
quoting, the remote call and the copy back are real; only the network hop is not.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scs_kaas.kube.client import KubeClient
from scs_kaas.localmgmt import ManagementCluster
from scs_kaas.workflows.mgmt.state import MgmtState, StatePaths, load_state, save_state
from tests.support.mgmt_move_world import (
    CAPI,
    ORC,
    World,
    add_kubeconfig_secret,
    add_running_cluster,
    client_key,
    clusterctl_binary,
    holding_available,
    names,
    secrets,
    target_kubeconfig,
)

KAAS = str(Path(sys.executable).parent / "kaas")
HOST_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIMu9TXsNrrmf8jW5F0Cw0z8hW+Z3WzTqvCw8TNpDzG3d"

# Runs what would run on the host: everything after user@address, in $STAND_IN_HOME.
SSH_STAND_IN = """\
import os, subprocess, sys
args = sys.argv[1:]
at = next(i for i, a in enumerate(args) if "@" in a and not args[i - 1] in ("-o", "-i", "-L"))
with open(os.environ["STAND_IN_SSH_LOG"], "a") as log:
    log.write(" ".join(args[at + 1:]) + "\\n")
remote = " ".join(args[at + 1:])
sys.exit(subprocess.run(remote, shell=True, cwd=os.environ["STAND_IN_HOME"]).returncode)
"""


@pytest.fixture
def tools(tmp_path: Path) -> dict[str, str]:
    """PATH with the real clusterctl, a stand-in for ssh, and kaas itself."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh.py").write_text(SSH_STAND_IN, encoding="utf-8")
    ssh = bin_dir / "ssh"
    ssh.write_text(f'#!/bin/sh\nexec {sys.executable} {bin_dir / "ssh.py"} "$@"\n')
    ssh.chmod(ssh.stat().st_mode | stat.S_IXUSR)
    binary = clusterctl_binary()
    if not binary.is_file():
        pytest.fail(f"{binary} is missing: run `kaas devcloud build`", pytrace=False)
    (bin_dir / "clusterctl").symlink_to(binary)
    return {
        **os.environ,
        "PATH": os.pathsep.join([str(bin_dir), str(Path(KAAS).parent), os.environ["PATH"]]),
        "CLUSTERCTL_DISABLE_VERSIONCHECK": "true",  # it would ask GitHub
        "STAND_IN_SSH_LOG": str(tmp_path / "ssh.log"),
        "STAND_IN_HOME": str(tmp_path / "host"),
    }


@pytest.fixture
def env_dir(tmp_path: Path, world: World) -> Path:
    folder = tmp_path / "env"
    folder.mkdir()
    (folder / "environment.yaml").write_text(f"prefix: {world.prefix}\ncloud: nowhere\n")
    return folder


@pytest.fixture
def orc_file(tmp_path: Path) -> Path:
    path = tmp_path / "install.yaml"
    path.write_text(yaml.safe_dump_all(ORC), encoding="utf-8")
    return path


@pytest.fixture
def landscape(
    kube: KubeClient, world: World, move_target: ManagementCluster
) -> Iterator[KubeClient]:
    add_running_cluster(kube, world.ns("ha"), "ha", world.prefix)
    add_kubeconfig_secret(kube, world.ns("ha"), "ha", target_kubeconfig(move_target, "ha"))
    add_running_cluster(kube, world.ns("app"), "app", world.prefix)
    with holding_available(kube, world.ns("ha"), "ha"):
        yield kube


def move(
    env: dict[str, str], env_dir: Path, state: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KAAS, "mgmt", "move", "-e", str(env_dir), "--state-dir", str(state), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def assert_moved(source: KubeClient, target: KubeClient, world: World) -> None:
    """Every object arrived, resumed on the target, and none is left on the source."""
    assert names(target, world.selector) == [world.key("app"), world.key("ha")]
    assert names(source, world.selector) == []
    for short in ("app", "ha"):
        arrived = target.resource(CAPI, "Cluster").get(name=short, namespace=world.ns(short))
        assert not arrived.to_dict()["spec"].get("paused")
    assert "ha-kubeconfig" in secrets(target, world.ns("ha"))
    assert "ha-kubeconfig" not in secrets(source, world.ns("ha"))


def test_move_from_a_given_kubeconfig_records_the_new_manager(
    landscape: KubeClient,
    target: KubeClient,
    kubeconfig_file: Path,
    tools: dict[str, str],
    env_dir: Path,
    orc_file: Path,
    tmp_path: Path,
    world: World,
    move_target: ManagementCluster,
) -> None:
    state = tmp_path / "state"
    source = ["--kubeconfig", str(kubeconfig_file), "--orc-manifest", str(orc_file)]
    planned = move(tools, env_dir, state, "--to", "ha", *source, "--dry-run", "-o", "json")
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["namespaces"] == [world.ns("app"), world.ns("ha")]
    # a dry run changes nothing
    assert names(target, world.selector) == [] and not state.exists()

    result = move(tools, env_dir, state, "--to", "ha", *source)
    assert result.returncode == 0, result.stderr
    assert_moved(landscape, target, world)
    paths = StatePaths(state, world.prefix)
    assert stat.S_IMODE(paths.moved_kubeconfig.stat().st_mode) == 0o600
    assert yaml.safe_load(paths.moved_kubeconfig.read_text())["current-context"] == "ha-admin@ha"
    assert load_state(paths, "nowhere").moved_to == "ha"
    assert client_key(target_kubeconfig(move_target, "ha")) not in result.stdout + result.stderr
    assert "management runs on cluster ha" in result.stdout

    again = move(tools, env_dir, state, "--to", "ha", "-o", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "already moved"


def test_by_default_the_move_runs_on_the_management_host(
    landscape: KubeClient,
    target: KubeClient,
    kubeconfig_file: Path,
    tools: dict[str, str],
    env_dir: Path,
    orc_file: Path,
    tmp_path: Path,
    world: World,
    move_target: ManagementCluster,
) -> None:
    host = tmp_path / "host"
    (host / "kaas-env").mkdir(parents=True)
    (host / "kaas-env" / "environment.yaml").write_text(f"prefix: {world.prefix}\ncloud: nowhere\n")
    (host / ".kube").mkdir()
    (host / ".kube" / "config").write_text(kubeconfig_file.read_text())
    paths = StatePaths(tmp_path / "state", world.prefix)
    save_state(
        paths, MgmtState(prefix=world.prefix, cloud="nowhere", floating_ip_address="192.0.2.9")
    )
    paths.private_key.write_text("not shown")
    paths.private_key.chmod(0o600)
    # the host's key, as `kaas mgmt create` records it from the console log: no cloud asked
    paths.known_hosts.write_text(f"192.0.2.9 ssh-ed25519 {HOST_KEY}\n")

    result = move(tools, env_dir, paths.state_dir, "--to", "ha", "--orc-manifest", str(orc_file))
    assert result.returncode == 0, result.stderr
    assert "running the move on the management host 192.0.2.9" in result.stderr
    assert_moved(landscape, target, world)
    remote = (tmp_path / "ssh.log").read_text().splitlines()
    assert remote[0].startswith("kaas mgmt move --to ha --env kaas-env --kubeconfig .kube/config")
    assert remote[1] == f"cat .local/state/scs-kaas/{world.prefix}/management.kubeconfig"
    assert load_state(paths, "nowhere").moved_to == "ha"
    assert stat.S_IMODE(paths.moved_kubeconfig.stat().st_mode) == 0o600
    assert client_key(target_kubeconfig(move_target, "ha")) not in result.stdout + result.stderr


def test_paused_clusters_are_refused_naming_them(
    landscape: KubeClient,
    target: KubeClient,
    kubeconfig_file: Path,
    tools: dict[str, str],
    env_dir: Path,
    orc_file: Path,
    tmp_path: Path,
    world: World,
) -> None:
    clusters = landscape.resource(CAPI, "Cluster")
    clusters.patch(
        name="app",
        namespace=world.ns("app"),
        body={"spec": {"paused": True}},
        content_type="application/merge-patch+json",
    )
    source = ["--kubeconfig", str(kubeconfig_file), "--orc-manifest", str(orc_file)]
    result = move(tools, env_dir, tmp_path / "state", "--to", "ha", *source)
    assert result.returncode == 1
    assert f"does not move paused clusters: {world.key('app')}" in result.stderr
    assert names(target, world.selector) == []


def test_a_bad_target_name_exits_2_before_anything(
    tools: dict[str, str], env_dir: Path, tmp_path: Path
) -> None:
    result = move(tools, env_dir, tmp_path / "state", "--to", "Bad_Name")
    assert result.returncode == 2
    assert "--to" in result.stderr and "a-z" in result.stderr


def test_without_a_host_or_kubeconfig_the_user_is_told_what_to_give(
    tools: dict[str, str], env_dir: Path, tmp_path: Path
) -> None:
    result = move(tools, env_dir, tmp_path / "state", "--to", "ha")
    assert result.returncode == 1
    assert "kaas mgmt create" in result.stderr and "--kubeconfig" in result.stderr
