"""From `kaas cluster create` to the control-plane server ACTIVE, on a running devcloud.

    kaas devcloud up                      # the local cloud and the management cluster
    python bench/e2e_create.py [--state-dir ~/.local/state/scs-kaas/devcloud] [--rounds 1]

Creates a cluster (1 control-plane node, a group of 2) with the workflow `kaas cluster create
--no-wait` runs, then watches until the real CAPO has made the OpenStackCluster ready and the
control-plane server is ACTIVE, and deletes it again. Prints the time to each milestone, the
Kubernetes API requests the API server served meanwhile (all clients: scs-kaas and the
controllers, from its `apiserver_request_total`) and the Nova API requests (from nova-api's
request log). Measured, not asserted.
"""

from __future__ import annotations

import argparse
import re
import secrets
import ssl
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for
from scs_kaas.localcloud.layout import DEVCLOUD_STATE_DIR
from scs_kaas.localcloud.sdk import connect
from scs_kaas.localmgmt import ManagementCluster
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import create as cluster_create
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster.create import CreateOptions
from scs_kaas.workflows.cluster.target import ClusterTarget

CAPI = "cluster.x-k8s.io/v1beta2"
CAPO = "infrastructure.cluster.x-k8s.io/v1beta1"
KCP = "controlplane.cluster.x-k8s.io/v1beta2"
TIMEOUT = 600.0
_REQUESTS = re.compile(r"^apiserver_request_total\{.*\} (\d+(?:\.\d+)?(?:e\+\d+)?)$", re.M)


def _kube_requests(management: ManagementCluster) -> int:
    pki = management.layout.pki
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    context.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
    url = f"https://127.0.0.1:{management.ports.apiserver}/metrics"
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        text = response.read().decode()
    return int(sum(float(v) for v in _REQUESTS.findall(text)))


def _nova_requests(state: Path) -> int:
    log = state / "logs" / "nova-api.log"
    return sum(1 for line in log.open(encoding="utf-8") if "requestlog" in line)


def _one(state: Path, management: ManagementCluster, kube: KubeClient, conn: Any) -> list[float]:
    name = f"b{secrets.token_hex(3)}"
    settings = Settings(
        cloud="devcloud-user",
        control_plane={"count": 1, "flavor": "SCS-2V-4-20s"},
        node_groups=[{"name": "md-0", "count": 2, "flavor": "SCS-2V-4"}],
    )
    kube_before, nova_before = _kube_requests(management), _nova_requests(state)
    started = time.monotonic()
    cluster_create.run(conn, kube, settings, name, options=CreateOptions(wait=False))
    applied = time.monotonic()

    def ready(obj: Any) -> bool:
        return obj is not None and bool((obj.get("status") or {}).get("ready"))

    wait_for(kube, CAPO, "OpenStackCluster", name, name, ready, TIMEOUT)
    infrastructure = time.monotonic()

    def has_server(obj: Any) -> bool:
        return obj is not None and any(
            bool((m.get("status") or {}).get("instanceID"))
            for m in kube.resource(CAPO, "OpenStackMachine").get(namespace=name).to_dict()["items"]
            if "cluster.x-k8s.io/control-plane" in m["metadata"]["labels"]
        )

    wait_for(kube, KCP, "KubeadmControlPlane", f"{name}-control-plane", name, has_server, TIMEOUT)
    server_id = next(
        m["status"]["instanceID"]
        for m in kube.resource(CAPO, "OpenStackMachine").get(namespace=name).to_dict()["items"]
        if (m.get("status") or {}).get("instanceID")
    )
    conn.compute.wait_for_server(conn.compute.get_server(server_id), wait=TIMEOUT, interval=0.5)
    active = time.monotonic()
    counts = [_kube_requests(management) - kube_before, _nova_requests(state) - nova_before]
    cluster_delete.run(conn, kube, ClusterTarget(settings.prefix, name, name), timeout=TIMEOUT)
    return [applied - started, infrastructure - started, active - started, *counts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=DEVCLOUD_STATE_DIR.expanduser())
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    state: Path = args.state_dir
    management = ManagementCluster(state / "management")
    if not management.is_up():
        raise SystemExit(f"no devcloud with a management cluster in {state}: kaas devcloud up")
    clouds = yaml.safe_load((state / "clouds.yaml").read_text(encoding="utf-8"))["clouds"]
    conn = connect(clouds["devcloud-user"])
    with KubeClient.from_file(management.kubeconfig) as kube:
        rows = [_one(state, management, kube, conn) for _ in range(args.rounds)]
    table = Table(
        title="kaas cluster create -> control-plane server ACTIVE (real CAPO, local cloud)"
    )
    columns = ("applied", "OpenStackCluster ready", "server ACTIVE", "Kubernetes requests")
    for column in (*columns, "Nova requests"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(f"{v:.1f} s" for v in row[:3]), str(int(row[3])), str(int(row[4])))
    Console().print(table)


if __name__ == "__main__":
    main()
