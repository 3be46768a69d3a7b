"""`kaas mgmt move` run on the management host, and recording a move on the user's side.

The host has everything a move needs: the kind cluster's kubeconfig, clusterctl of the pinned
version and scs-kaas itself with the environment's settings (all put there by its bootstrap). So
by default the user's `kaas mgmt move` runs the same command there over SSH (the local mode of
`mgmt_move`), then copies the target's kubeconfig back (0600) and records the move.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

from scs_kaas.errors import KaasError
from scs_kaas.files import write_atomic
from scs_kaas.render.cloud_init import ENVIRONMENT_DIR
from scs_kaas.ssh.target import Runner, SshTarget, ssh_command
from scs_kaas.workflows.mgmt.access import ssh_failed
from scs_kaas.workflows.mgmt.state import APP_DIR, StatePaths, load_state, save_state

# On the host, relative to the login user's home (where ssh starts).
HOST_KUBECONFIG = ".kube/config"
HOST_STATE_DIR = f".local/state/{APP_DIR}"


def remote_move_command(
    target: SshTarget, prefix: str, cluster: str, orc_manifest: str, dry_run: bool
) -> list[str]:
    """ssh … kaas mgmt move, in local mode against the host's kind cluster."""
    remote = [
        "kaas",
        "mgmt",
        "move",
        "--to",
        cluster,
        "--env",
        ENVIRONMENT_DIR,
        "--kubeconfig",
        HOST_KUBECONFIG,
        "--state-dir",
        HOST_STATE_DIR,
        "--orc-manifest",
        orc_manifest,
        *(["--dry-run"] if dry_run else []),
    ]
    # ssh hands the remote side one command line: quote each word for the login shell.
    return ssh_command(target, [shlex.join(remote)])


def host_moved_kubeconfig(prefix: str) -> str:
    return str(StatePaths(Path(HOST_STATE_DIR), prefix).moved_kubeconfig)


def fetch_moved_kubeconfig(
    target: SshTarget, prefix: str, run: Runner = subprocess.run
) -> SecretStr:
    """The target's kubeconfig the host's move stored, read over SSH into memory."""
    command = ssh_command(target, ["cat", shlex.quote(host_moved_kubeconfig(prefix))])
    result = run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise ssh_failed(
            target, "read the moved management kubeconfig", result, "see `kaas mgmt ssh`"
        )
    return SecretStr(result.stdout)


def record_move(paths: StatePaths, cloud: str, cluster: str, kubeconfig: SecretStr) -> Path:
    """Store the new management cluster's kubeconfig (0600) and remember the move."""
    _check_kubeconfig(kubeconfig)
    state = load_state(paths, cloud)
    save_state(paths, state)  # creates the private folder the kubeconfig goes into
    write_atomic(paths.moved_kubeconfig, kubeconfig.get_secret_value(), mode=0o600)
    state.moved_to = cluster
    save_state(paths, state)
    return paths.moved_kubeconfig


def _check_kubeconfig(kubeconfig: SecretStr) -> None:
    try:
        loaded: Any = yaml.safe_load(kubeconfig.get_secret_value())
    except yaml.YAMLError:
        loaded = None
    if not isinstance(loaded, dict) or not loaded.get("clusters") or not loaded.get("users"):
        raise KaasError("the moved management cluster's kubeconfig is not a kubeconfig")
