"""Server groups with the real CAPO: `kaas cluster create` makes the Nova group the settings ask
for before the apply, CAPO boots the control-plane server into it (it only looks groups up and
fails without one), and `kaas cluster delete` deletes the group with the cluster."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for
from scs_kaas.localcloud import LocalCloud
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import create as cluster_create
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster.create import CreateOptions
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.devcloud import prepare_for_clusters
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

CAPI = "cluster.x-k8s.io/v1beta2"
KCP = "controlplane.cluster.x-k8s.io/v1beta2"
TIMEOUT = 300.0


def _settings(prefix: str) -> Settings:
    return Settings(
        cloud="localcloud",
        prefix=prefix,
        control_plane={"count": 1, "flavor": "SCS-2V-4-20s", "server_group": "anti-affinity"},
        node_groups=[
            {"name": "md-0", "count": 1, "flavor": "SCS-2V-4", "server_group": "soft-anti-affinity"}
        ],
    )


def _groups(conn: Connection, prefix: str) -> dict[str, Any]:
    return {g.name: g for g in conn.compute.server_groups() if g.name.startswith(f"{prefix}-")}


@pytest.fixture
def prefix(project: Project, localcloud: LocalCloud, tmp_path: Path) -> str:
    name = f"g{secrets.token_hex(3)}"
    image_file = localcloud.layout.data / "scratch" / "ubuntu-24.04.qcow2"
    prepare_for_clusters(project.user, _settings(name), image_file, tmp_path / "key")
    return name


def test_the_control_plane_server_boots_into_the_group_made_for_it_and_both_go_with_the_cluster(
    project: Project, kube: KubeClient, prefix: str
) -> None:
    conn = project.user
    cluster = f"s{secrets.token_hex(3)}"
    settings = _settings(prefix)
    namespace = settings.namespace_for(cluster)
    target = ClusterTarget(prefix, namespace, cluster)
    plane, workers = f"{prefix}-{cluster}-control-plane", f"{prefix}-{cluster}-md-0"
    plan = cluster_create.plan(conn, kube, settings, cluster)
    assert f"server group {plane} would be created" in plan.notes
    assert _groups(conn, prefix) == {}  # the dry run made nothing
    try:
        cluster_create.run(conn, kube, settings, cluster, options=CreateOptions(wait=False))
        groups = _groups(conn, prefix)
        assert {name: g.policy for name, g in groups.items()} == {
            plane: "anti-affinity",
            workers: "soft-anti-affinity",
        }
        # a re-run keeps the groups (same ids, so the same templates)
        again = cluster_create.run(conn, kube, settings, cluster, options=CreateOptions(wait=False))
        assert again.created == ()
        assert {n: g.id for n, g in _groups(conn, prefix).items()} == {
            n: g.id for n, g in groups.items()
        }

        def has_provider_id(machine: Any) -> bool:
            return machine is not None and bool(machine["spec"].get("providerID"))

        def has_a_machine(kcp: Any) -> bool:
            return kcp is not None and int((kcp.get("status") or {}).get("replicas") or 0) >= 1

        kcp = f"{cluster}-control-plane"
        assert wait_for(kube, KCP, "KubeadmControlPlane", kcp, namespace, has_a_machine, TIMEOUT)
        machines = kube.resource(CAPI, "Machine").get(namespace=namespace).to_dict()["items"]
        (name,) = [
            m["metadata"]["name"]
            for m in machines
            if "cluster.x-k8s.io/control-plane" in m["metadata"]["labels"]
        ]
        machine = wait_for(kube, CAPI, "Machine", name, namespace, has_provider_id, TIMEOUT)
        assert machine is not None
        server_id = machine["spec"]["providerID"].removeprefix("openstack:///")
        assert conn.compute.get_server(server_id).status == "ACTIVE"
        members = conn.compute.get_server_group(groups[plane].id).member_ids
        assert members == [server_id]
    finally:
        cluster_delete.run(conn, kube, target, timeout=TIMEOUT)
    assert _groups(conn, prefix) == {}


def test_a_group_of_our_name_with_another_policy_stops_the_create_before_any_write(
    project: Project, kube: KubeClient, prefix: str
) -> None:
    conn = project.user
    cluster = f"s{secrets.token_hex(3)}"
    settings = _settings(prefix)
    taken = conn.compute.create_server_group(
        name=f"{prefix}-{cluster}-control-plane", policy="affinity"
    )
    with pytest.raises(CloudError, match="asks for 'anti-affinity'"):
        cluster_create.run(conn, kube, settings, cluster, options=CreateOptions(wait=False))
    assert list(_groups(conn, prefix)) == [taken.name]
    found = kube.resource(CAPI, "Cluster").get(namespace=settings.namespace_for(cluster))
    assert found.to_dict()["items"] == []
    conn.compute.delete_server_group(taken)
