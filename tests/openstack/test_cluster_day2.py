"""Day-2 views on real clusters: `kaas cluster list` and `status` of two clusters the real CAPO
builds on the local cloud, one of whose control-plane servers Nova cannot place.

What is real: the conditions (set by the CAPI, KCP and CAPO controllers), the Nova servers
(ACTIVE for one cluster, ERROR with Nova's own fault for the other: its flavor asks for more
disk than the fake hypervisor has), the API load balancer Octavia reports. No node ever
joins, so the conditions that wait for one are asserted as the controllers leave them.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud import LocalCloud
from scs_kaas.openstack.servers import tagged_servers
from scs_kaas.polling import wait_until
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import create as cluster_create
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster import list as cluster_list
from scs_kaas.workflows.cluster import status as cluster_status
from scs_kaas.workflows.cluster.create import CreateOptions
from scs_kaas.workflows.cluster.status import wait_for_change
from scs_kaas.workflows.cluster.status_tree import StatusNode, stuck_machines
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.devcloud import prepare_for_clusters
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

CP_FLAVOR = "SCS-2V-4-20s"
TIMEOUT = 300.0


def settings_of(prefix: str, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "cloud": "localcloud",
        "prefix": prefix,
        "control_plane": {"count": 1, "flavor": CP_FLAVOR},
        "node_groups": [{"name": "md-0", "count": 1, "flavor": "SCS-2V-4"}],
    }
    values.update(more)
    return Settings(**values)


@pytest.fixture
def prefix(project: Project, localcloud: LocalCloud, tmp_path: Path) -> str:
    """A prefix of this test's own, with the node image and keypair `kaas devcloud up` makes."""
    name = f"d{secrets.token_hex(3)}"
    image_file = localcloud.layout.data / "scratch" / "ubuntu-24.04.qcow2"
    prepare_for_clusters(project.user, settings_of(name), image_file, tmp_path / "key")
    return name


@pytest.fixture
def huge_flavor(admin: Connection) -> Iterator[str]:
    """A flavor with a 700 TB root disk: the fake hypervisor has 600 TB (and Nova has no quota
    on disk, unlike memory, whose quota would refuse the server before scheduling), so Nova's
    scheduler finds no host and puts the server in ERROR with its fault."""
    name = f"SCS-2V-4-700000-{secrets.token_hex(2)}"
    flavor = admin.compute.create_flavor(name=name, vcpus=2, ram=4096, disk=700000)
    yield name
    admin.compute.delete_flavor(flavor.id)


@pytest.fixture
def made(project: Project, kube: KubeClient, prefix: str) -> Iterator[list[str]]:
    """Names of the clusters a test makes (namespace = name); deleted afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        cluster_delete.run(
            project.user,
            kube,
            ClusterTarget(prefix, naming.cluster_namespace(prefix, name), name),
            timeout=TIMEOUT,
        )


def _machines(tree: StatusNode, kind: str) -> list[StatusNode]:
    return [m for child in tree.children if child.kind == kind for m in child.children]


def _server_in(conn: Connection, prefix: str, cluster: str, status: str) -> bool:
    servers = tagged_servers(conn, naming.ownership_tags(prefix, cluster))
    return any(s.status == status for s in servers)


def test_list_and_status_show_the_controllers_conditions_and_novas_side(
    project: Project, kube: KubeClient, prefix: str, huge_flavor: str, made: list[str]
) -> None:
    conn = project.user
    good, bad = f"g{secrets.token_hex(3)}", f"b{secrets.token_hex(3)}"
    options = CreateOptions(wait=False)
    made += [good, bad]
    cluster_create.run(conn, kube, settings_of(prefix), good, options=options)
    bad_settings = settings_of(prefix, control_plane={"count": 1, "flavor": huge_flavor})
    cluster_create.run(conn, kube, bad_settings, bad, options=options)

    wait_until(lambda: _server_in(conn, prefix, good, "ACTIVE"), TIMEOUT, f"{good}'s server")
    wait_until(lambda: _server_in(conn, prefix, bad, "ERROR"), TIMEOUT, f"{bad}'s server")

    rows = {row.name: row for row in cluster_list.run(kube, prefix)}
    assert set(rows) == {good, bad}
    for row in rows.values():
        assert row.prefix == prefix and not row.other_prefix
        assert row.version == settings_of(prefix).kubernetes_version
        assert row.control_plane.desired == 1 and row.control_plane.ready == 0
        assert [(g.name, g.desired, g.ready) for g in row.node_groups] == [("md-0", 1, 0)]
        assert row.available == "False"  # no node joins here
    assert rows[good].running == (settings_of(prefix).kubernetes_version,)

    trees: list[Any] = []

    def load_balancer_settled() -> bool:
        # CAPO adds the control-plane server to the API load balancer once it is ACTIVE, and
        # Octavia is PENDING_UPDATE meanwhile: read the status again until it is ACTIVE
        target = ClusterTarget(prefix, naming.cluster_namespace(prefix, good), good)
        trees.append(cluster_status.run(conn, kube, target, stuck_after=0))
        infra = [c for c in trees[-1].children if c.kind == "OpenStackCluster"]
        balancer = infra[0].load_balancer if infra else None
        # the MachineSet controller makes the worker's Machine in its own time
        worker_made = bool(_machines(trees[-1], "MachineDeployment"))
        return balancer is not None and balancer.provisioning_status == "ACTIVE" and worker_made

    wait_until(
        load_balancer_settled, TIMEOUT, f"{good}'s API load balancer ACTIVE and worker Machine"
    )
    tree = trees[-1]
    assert tree.kind == "Cluster"
    assert tree.name == f"{naming.cluster_namespace(prefix, good)}/{good}"
    shown = {(c.type, c.status, c.reason) for c in tree.conditions}
    assert ("ControlPlaneInitialized", "False", "NotInitialized") in shown
    # True conditions are not shown: CAPO built the network and load balancer
    assert "InfrastructureReady" not in {c.type for c in tree.conditions}
    (infra,) = [c for c in tree.children if c.kind == "OpenStackCluster"]
    assert infra.load_balancer is not None
    assert infra.load_balancer.provisioning_status == "ACTIVE"
    (plane_machine,) = _machines(tree, "KubeadmControlPlane")
    server = plane_machine.server
    assert server is not None and server.status == "ACTIVE" and server.fault is None
    assert server.flavor == CP_FLAVOR and server.addresses
    assert plane_machine.stuck is not None and "never joined" in plane_machine.stuck
    (worker,) = _machines(tree, "MachineDeployment")
    assert worker.server is None  # its bootstrap waits for an initialized control plane
    assert worker.stuck is not None and "bootstrap data is not ready" in worker.stuck

    failed = cluster_status.run(
        conn, kube, ClusterTarget(prefix, naming.cluster_namespace(prefix, bad), bad), stuck_after=0
    )
    (bad_machine,) = _machines(failed, "KubeadmControlPlane")
    assert bad_machine.server is not None and bad_machine.server.status == "ERROR"
    assert bad_machine.server.flavor == huge_flavor
    assert bad_machine.server.fault is not None
    assert "No valid host was found" in bad_machine.server.fault
    assert bad_machine.stuck is not None and bad_machine.stuck.startswith("Nova: No valid host")
    assert bad_machine in stuck_machines(failed)

    # a threshold not reached yet: nothing is stuck
    fresh = cluster_status.run(
        conn,
        kube,
        ClusterTarget(prefix, naming.cluster_namespace(prefix, bad), bad),
        stuck_after=86400,
    )
    assert stuck_machines(fresh) == []


def test_status_watch_wakes_on_a_machine_change_and_else_after_refresh(
    project: Project, kube: KubeClient, prefix: str, made: list[str]
) -> None:
    """What `kaas cluster status --watch` waits on between two redraws."""
    name = f"w{secrets.token_hex(3)}"
    made.append(name)
    options = CreateOptions(wait=False)
    cluster_create.run(project.user, kube, settings_of(prefix), name, options=options)
    target = ClusterTarget(prefix, naming.cluster_namespace(prefix, name), name)
    selector = f"{naming.LABEL_CLUSTER_NAME}={name}"

    def listed() -> list[Any]:
        return kube.list(CLUSTER_API, "Machine", target.namespace, label_selector=selector)

    wait_until(lambda: bool(listed()), TIMEOUT, f"{name}'s machines")
    # no Machine of that name: nothing changes, the wait ends after the refresh
    nobody = ClusterTarget(prefix, target.namespace, "nobody")
    assert wait_for_change(kube, nobody, refresh=1) is False

    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(wait_for_change(kube, target, 120)))
    waiter.start()
    touches = iter(range(1_000_000))

    def touched_and_woken() -> bool:
        # a change only counts once the wait has listed: touch until it wakes
        machine = listed()[0]
        body = {"metadata": {"labels": {"kaas-test-touch": str(next(touches))}}}
        kube.patch(CLUSTER_API, "Machine", machine["metadata"]["name"], target.namespace, body)
        return not waiter.is_alive()

    wait_until(touched_and_woken, 60, "the watch to see the Machine change")
    waiter.join()
    assert woke == [True]
