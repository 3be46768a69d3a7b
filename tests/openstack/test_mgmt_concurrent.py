"""Two `kaas mgmt create` of one prefix at once, as real processes against the local cloud.

Before the environment's lock both went through every step side by side and made two servers,
ports, floating IPs and volumes (and later runs never noticed). Now the second waits for the
first, then finds everything made and changes nothing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from openstack.connection import Connection

from scs_kaas.localcloud import LocalCloud
from scs_kaas.ssh.keypair import KeyFiles, ensure_key, fingerprint
from scs_kaas.workflows.mgmt.state import StatePaths
from tests.support.projects import KAAS, LOCALCLOUD, Project, kaas_environment

pytestmark = LOCALCLOUD

PREFIX = "lk"
ENVIRONMENT = {
    "prefix": PREFIX,
    "external_network": "public",
    # a flavor without a disk: the host boots from a root volume, made by the run too
    "management": {"flavor": "SCS-2V-4", "image": "Ubuntu 24.04"},
}


def _host_resources(conn: Connection) -> dict[str, int]:
    """What the project holds of the host, tagged or not (the project is the test's own)."""
    network = conn.network
    return {
        "server": len(list(conn.compute.servers())),
        "volume": len(list(conn.block_storage.volumes())),
        "port": len(list(network.ports(name=f"{PREFIX}-mgmt-port"))),
        "floating IP": len(list(network.ips(project_id=conn.current_project_id))),
        "network": len(list(network.networks(name=f"{PREFIX}-mgmt-net"))),
        "subnet": len(list(network.subnets(name=f"{PREFIX}-mgmt-subnet"))),
        "router": len(list(network.routers(name=f"{PREFIX}-mgmt-router"))),
        "security group": len(list(network.security_groups(name=f"{PREFIX}-mgmt-sg"))),
    }


def test_two_creates_at_once_make_one_host(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    env = kaas_environment(localcloud, project, tmp_path, ENVIRONMENT)
    state = tmp_path / "state"
    command = [KAAS, "mgmt", "create", "--no-image", "-o", "json", "-e", str(tmp_path)]
    command += ["--state-dir", str(state)]
    out, err = subprocess.PIPE, subprocess.PIPE
    runs = [subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env) for _ in "12"]
    outputs = [run.communicate(timeout=900) for run in runs]
    for run, (_stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr
    summaries = [json.loads(stdout) for stdout, _stderr in outputs]

    assert _host_resources(project.app) == {
        "server": 1,
        "volume": 1,
        "port": 1,
        "floating IP": 1,
        "network": 1,
        "subnet": 1,
        "router": 1,
        "security group": 1,
    }
    first, second = summaries
    assert first["server_id"] == second["server_id"]
    assert first["floating_ip"] == second["floating_ip"]
    # one of them waited for the other, then found everything made
    waited = [
        (index, stderr)
        for index, (_stdout, stderr) in enumerate(outputs)
        if "waiting for kaas mgmt create of prefix lk" in " ".join(stderr.split())
    ]
    assert len(waited) == 1, [stderr for _stdout, stderr in outputs]
    index, stderr = waited[0]
    other = runs[1 - index]
    assert f"(pid {other.pid} on " in " ".join(stderr.split())
    assert summaries[index]["changed"] == []
    # the key on disk is the one in Nova
    paths = StatePaths(state, PREFIX)
    public = ensure_key(KeyFiles(paths.private_key), "unused")
    keypair = project.app.compute.get_keypair(f"{PREFIX}-keypair")
    assert keypair.fingerprint == fingerprint(public)
