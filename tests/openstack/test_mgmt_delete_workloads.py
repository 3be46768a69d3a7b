"""`kaas mgmt delete` deletes the prefix's workload clusters first, or refuses to orphan them.

The management cluster is the session's real one (tests/support/management.py), injected as
`mgmt_delete.run`'s `management`: its Cluster API controllers delete a cluster for real (CAPO the
network and load balancer it made in the test's project). The host, credentials and workload
servers are in the local cloud. Every test has a prefix of its own (the Clusters of a prefix are
looked for in every namespace) and unique cluster names; what a test leaves is deleted through
CAPI after it (tests/openstack/workloads.py).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud import LocalCloud
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.mgmt import delete as mgmt_delete
from scs_kaas.workflows.mgmt.state import StatePaths, load_state, save_state
from scs_kaas.workflows.mgmt.tunnel import ManagementAccess
from scs_kaas.workflows.progress import StepEvent
from tests.openstack.cloud_cli import (
    cli_environment,
    credentials,
    kaas,
)
from tests.openstack.mgmt_hosts import EMPTY, create_host, host_inventory, host_settings
from tests.openstack.workloads import (
    Clusters,
    capo_made,
    cluster_names,
    made_clusters,
    unique,
    wait_infrastructure_ready,
)
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD


def answering(client: KubeClient) -> ManagementAccess:
    def open_management() -> contextlib.AbstractContextManager[KubeClient | None]:
        return contextlib.nullcontext(client)

    return open_management


def unreachable() -> contextlib.AbstractContextManager[KubeClient | None]:
    raise ClusterError("the Kubernetes API server at https://127.0.0.1:1 does not answer")


def never_asked() -> contextlib.AbstractContextManager[KubeClient | None]:
    raise AssertionError("the management cluster must not be asked")


@pytest.fixture
def made(project: Project, kube: KubeClient) -> Iterator[Clusters]:
    with made_clusters(project.user, kube) as clusters:
        yield clusters


def workload_server(conn: Connection, prefix: str, cluster: str) -> str:
    """A server as CAPO makes one for a machine of `cluster`: tagged by the renderer's tags."""
    net = conn.network.create_network(name=f"k8s-clusterapi-cluster-{cluster}")
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.9.0.0/24")
    image = conn.image.find_image("Ubuntu 24.04", ignore_missing=False)
    flavor = conn.compute.find_flavor("SCS-2V-4-20s", ignore_missing=False)
    server = conn.compute.create_server(
        name=f"{cluster}-control-plane-abcde",
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{"uuid": net.id}],
        tags=naming.ownership_tags(prefix, cluster),
    )
    return str(server.id)


def test_the_prefix_clusters_go_before_the_host_and_another_prefix_stays(
    project: Project, made: Clusters, kube: KubeClient, tmp_path: Path
) -> None:
    """CAPI deletes w1 for real: its finalizer holds the Cluster until CAPO deleted what it made
    in the cloud; only then does the host go."""
    conn = project.user
    prefix, other, w1, w2 = unique("tg"), unique("th"), unique("w1-"), unique("w2-")
    settings, paths = host_settings(prefix), StatePaths(tmp_path, prefix)
    create_host(conn, settings, paths)
    ours = made.create(Settings(cloud="localcloud", prefix=prefix, namespace=w1), w1).id
    theirs = made.create(Settings(cloud="localcloud", prefix=other, namespace=w2), w2).id
    wait_infrastructure_ready(kube, w1, w1)  # what CAPI has to delete first
    assert capo_made(conn, w1)
    seen_at_host: list[tuple[set[str], list[str]]] = []

    def progress(event: StepEvent) -> None:
        if event.step == "server" and event.phase == "start":
            seen_at_host.append((cluster_names(kube, w1), credentials(conn, prefix, w1)))

    planned = mgmt_delete.plan(conn, settings, paths, answering(kube))
    assert planned.clusters == [f"{w1}/{w1}"] and len(planned.resources) == 7
    assert cluster_names(kube, w1) == {w1}  # a dry run deletes nothing
    plan = mgmt_delete.run(conn, settings, paths, progress, answering(kube))
    assert plan.clusters == [f"{w1}/{w1}"]
    assert seen_at_host == [(set(), [])]  # cluster and credential gone before the host
    assert host_inventory(conn, prefix) == EMPTY and not paths.root.exists()
    assert credentials(conn, prefix, w1) == [] and ours
    assert capo_made(conn, w1) == []  # CAPI and CAPO deleted the cluster's cloud resources
    assert cluster_names(kube, w2) == {w2}
    assert credentials(conn, other, w2) == [theirs]


def test_unreachable_management_with_workload_servers_is_refused_unless_forced(
    project: Project, tmp_path: Path
) -> None:
    conn = project.user
    settings, paths = host_settings("ti"), StatePaths(tmp_path, "ti")
    create_host(conn, settings, paths)
    host = host_inventory(conn, "ti")
    left = workload_server(conn, "ti", "w3")
    workload_server(conn, "tj", "w3")  # another prefix's: never counted
    dry = mgmt_delete.plan(conn, settings, paths, unreachable)
    assert [s.split(" ")[0] for s in dry.left_servers] == ["w3-control-plane-abcde"]
    assert any("refuses" in note for note in dry.notes)
    with pytest.raises(mgmt_delete.WorkloadsLeft, match="--force") as refused:
        mgmt_delete.run(conn, settings, paths, management=unreachable)
    assert left in str(refused.value) and "does not answer" in str(refused.value)
    assert host_inventory(conn, "ti") == host and paths.state_file.exists()  # nothing deleted

    plan = mgmt_delete.run(conn, settings, paths, management=unreachable, force=True)
    assert left in plan.left_servers[0]
    assert host_inventory(conn, "ti") == EMPTY
    assert conn.compute.get_server(left).status != "DELETED"  # the workload server stays


def test_no_workload_server_and_no_answer_proceeds_with_a_note(
    project: Project, tmp_path: Path
) -> None:
    settings, paths = host_settings("tk"), StatePaths(tmp_path, "tk")
    plan = mgmt_delete.run(project.user, settings, paths, management=unreachable)
    assert plan.left_servers == [] and plan.clusters == []
    assert any("does not answer" in note for note in plan.notes)


def test_after_a_move_the_clusters_live_on(
    project: Project, made: Clusters, kube: KubeClient, tmp_path: Path
) -> None:
    conn = project.user
    prefix, w4 = unique("tl"), unique("w4-")
    settings, paths = host_settings(prefix), StatePaths(tmp_path, prefix)
    state = load_state(paths, settings.cloud)
    state.moved_to = w4
    save_state(paths, state)
    credential = made.create(Settings(cloud="localcloud", prefix=prefix, namespace=w4), w4).id
    workload_server(conn, prefix, w4)
    plan = mgmt_delete.run(conn, settings, paths, management=never_asked)
    assert plan.clusters == [] and plan.left_servers == []
    assert any(f"managed by {w4}" in note for note in plan.notes)
    assert cluster_names(kube, w4) == {w4} and credentials(conn, prefix, w4) == [credential]


def test_an_existing_management_cluster_has_its_clusters_deleted_and_no_host(
    project: Project, made: Clusters, kube: KubeClient, tmp_path: Path
) -> None:
    conn = project.user
    prefix, w5 = unique("tm"), unique("w5-")
    settings = Settings(cloud="localcloud", prefix=prefix, management={"kubeconfig": "/x"})
    made.create(settings.model_copy(update={"namespace": w5}), w5)
    wait_infrastructure_ready(kube, w5, w5)
    assert capo_made(conn, w5)
    access: Callable[[], contextlib.AbstractContextManager[KubeClient | None]] = answering(kube)
    paths = StatePaths(tmp_path, prefix)
    plan = mgmt_delete.run(conn, settings, paths, management=access)
    assert plan.clusters == [f"{w5}/{w5}"] and plan.resources == []
    assert any("no management host" in note for note in plan.notes)
    assert cluster_names(kube, w5) == set() and credentials(conn, prefix, w5) == []
    assert capo_made(conn, w5) == []


def test_cli_refuses_to_orphan_workload_servers_then_forced(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    env, _ = cli_environment(localcloud, project, tmp_path, "mcloud")
    left = workload_server(project.user, "tn", "w6")
    argv = ["mgmt", "delete", "-e", str(tmp_path), "--state-dir", str(tmp_path / "state")]
    argv += ["--set", "prefix=tn", "--set", "cloud=mcloud"]
    dry = kaas(*argv, "--dry-run", "-o", "json", env=env)
    assert dry.returncode == 0, dry.stderr
    assert left in json.loads(dry.stdout)["left_servers"][0]
    refused = kaas(*argv, env=env)
    assert refused.returncode == 1
    assert left in refused.stderr and "--force" in refused.stderr
    assert "kaas mgmt create" in refused.stderr  # why the management cluster does not answer
    forced = kaas(*argv, "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    assert "left behind" in forced.stderr
    assert project.user.compute.get_server(left).status != "DELETED"


def test_cli_deletes_the_clusters_of_an_existing_management_cluster(
    localcloud: LocalCloud,
    project: Project,
    made: Clusters,
    kube: KubeClient,
    kubeconfig_file: Path,
    tmp_path: Path,
) -> None:
    env, _ = cli_environment(localcloud, project, tmp_path, "mcloud")
    prefix, w7 = unique("to"), unique("w7-")
    made.create(Settings(cloud="mcloud", prefix=prefix, namespace=w7), w7)
    argv = ["mgmt", "delete", "-e", str(tmp_path), "--state-dir", str(tmp_path / "state")]
    argv += ["--set", f"prefix={prefix}", "--set", "cloud=mcloud"]
    argv += ["--set", f"management.kubeconfig={kubeconfig_file}"]
    dry = kaas(*argv, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert f"would delete workload cluster {w7}/{w7}" in dry.stdout
    assert cluster_names(kube, w7) == {w7}
    done = kaas(*argv, env=env)
    assert done.returncode == 0, done.stderr
    assert f"deleted workload cluster {w7}/{w7}" in done.stdout
    assert cluster_names(kube, w7) == set() and credentials(project.user, prefix, w7) == []
