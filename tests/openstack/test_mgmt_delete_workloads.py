"""`kaas mgmt delete` deletes the prefix's workload clusters first, or refuses to orphan them.

The management cluster is the emulator (tests/kube), injected as `delete_mgmt`'s `management`;
the host, credentials and workload servers are in the local cloud.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud import LocalCloud
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.settings.model import Settings
from scs_kaas.workflows import mgmt_delete
from scs_kaas.workflows.mgmt import StepEvent
from scs_kaas.workflows.mgmt_state import StatePaths, load_state, save_state
from scs_kaas.workflows.mgmt_tunnel import ManagementAccess
from tests.kube.conftest import Emulator
from tests.openstack.support import LOCALCLOUD, Project
from tests.openstack.test_cluster_delete import (
    cli_environment,
    create_cluster,
    credentials,
    kaas,
)
from tests.openstack.test_mgmt_host import EMPTY, _create, _inventory, _settings

pytestmark = LOCALCLOUD


def answering(client: KubeClient) -> ManagementAccess:
    def open_management() -> contextlib.AbstractContextManager[KubeClient | None]:
        return contextlib.nullcontext(client)

    return open_management


def unreachable() -> contextlib.AbstractContextManager[KubeClient | None]:
    raise ClusterError("the Kubernetes API server at https://127.0.0.1:1 does not answer")


def never_asked() -> contextlib.AbstractContextManager[KubeClient | None]:
    raise AssertionError("the management cluster must not be asked")


def clusters(server: Emulator, namespace: str) -> set[str]:
    return set(server.stored(CLUSTER_API, "Cluster", namespace))


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
    project: Project, emulator: Emulator, kube: KubeClient, tmp_path: Path
) -> None:
    conn = project.user
    settings, paths = _settings("tg"), StatePaths(tmp_path, "tg")
    _create(conn, settings, paths)
    ours = create_cluster(conn, kube, Settings(cloud="localcloud", prefix="tg"), "w1")
    theirs = create_cluster(conn, kube, Settings(cloud="localcloud", prefix="th"), "w2")
    seen_at_host: list[tuple[set[str], list[str]]] = []

    def progress(event: StepEvent) -> None:
        if event.step == "server" and event.phase == "start":
            seen_at_host.append((clusters(emulator, "w1"), credentials(conn, "tg", "w1")))

    planned = mgmt_delete.plan_delete(conn, settings, paths, answering(kube))
    assert planned.clusters == ["w1/w1"] and len(planned.resources) == 7
    assert clusters(emulator, "w1") == {"w1"}  # a dry run deletes nothing
    plan = mgmt_delete.delete_mgmt(conn, settings, paths, progress, answering(kube))
    assert plan.clusters == ["w1/w1"]
    assert seen_at_host == [(set(), [])]  # cluster and credential gone before the host
    assert _inventory(conn, "tg") == EMPTY and not paths.root.exists()
    assert credentials(conn, "tg", "w1") == [] and ours
    assert clusters(emulator, "w2") == {"w2"}
    assert credentials(conn, "th", "w2") == [theirs]


def test_unreachable_management_with_workload_servers_is_refused_unless_forced(
    project: Project, tmp_path: Path
) -> None:
    conn = project.user
    settings, paths = _settings("ti"), StatePaths(tmp_path, "ti")
    _create(conn, settings, paths)
    host = _inventory(conn, "ti")
    left = workload_server(conn, "ti", "w3")
    workload_server(conn, "tj", "w3")  # another prefix's: never counted
    dry = mgmt_delete.plan_delete(conn, settings, paths, unreachable)
    assert [s.split(" ")[0] for s in dry.left_servers] == ["w3-control-plane-abcde"]
    assert any("refuses" in note for note in dry.notes)
    with pytest.raises(mgmt_delete.WorkloadsLeft, match="--force") as refused:
        mgmt_delete.delete_mgmt(conn, settings, paths, management=unreachable)
    assert left in str(refused.value) and "does not answer" in str(refused.value)
    assert _inventory(conn, "ti") == host and paths.state_file.exists()  # nothing deleted

    plan = mgmt_delete.delete_mgmt(conn, settings, paths, management=unreachable, force=True)
    assert left in plan.left_servers[0]
    assert _inventory(conn, "ti") == EMPTY
    assert conn.compute.get_server(left).status != "DELETED"  # the workload server stays


def test_no_workload_server_and_no_answer_proceeds_with_a_note(
    project: Project, tmp_path: Path
) -> None:
    settings, paths = _settings("tk"), StatePaths(tmp_path, "tk")
    plan = mgmt_delete.delete_mgmt(project.user, settings, paths, management=unreachable)
    assert plan.left_servers == [] and plan.clusters == []
    assert any("does not answer" in note for note in plan.notes)


def test_after_a_move_the_clusters_live_on(
    project: Project, emulator: Emulator, kube: KubeClient, tmp_path: Path
) -> None:
    conn = project.user
    settings, paths = _settings("tl"), StatePaths(tmp_path, "tl")
    state = load_state(paths, settings.cloud)
    state.moved_to = "w4"
    save_state(paths, state)
    credential = create_cluster(conn, kube, Settings(cloud="localcloud", prefix="tl"), "w4")
    workload_server(conn, "tl", "w4")
    plan = mgmt_delete.delete_mgmt(conn, settings, paths, management=never_asked)
    assert plan.clusters == [] and plan.left_servers == []
    assert any("managed by w4" in note for note in plan.notes)
    assert clusters(emulator, "w4") == {"w4"} and credentials(conn, "tl", "w4") == [credential]


def test_an_existing_management_cluster_has_its_clusters_deleted_and_no_host(
    project: Project, emulator: Emulator, kube: KubeClient, tmp_path: Path
) -> None:
    conn = project.user
    settings = Settings(cloud="localcloud", prefix="tm", management={"kubeconfig": "/x"})
    create_cluster(conn, kube, settings, "w5")
    access: Callable[[], contextlib.AbstractContextManager[KubeClient | None]] = answering(kube)
    plan = mgmt_delete.delete_mgmt(conn, settings, StatePaths(tmp_path, "tm"), management=access)
    assert plan.clusters == ["w5/w5"] and plan.resources == []
    assert any("no management host" in note for note in plan.notes)
    assert clusters(emulator, "w5") == set() and credentials(conn, "tm", "w5") == []


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
    emulator: Emulator,
    kube: KubeClient,
    kubeconfig_file: Path,
    tmp_path: Path,
) -> None:
    env, _ = cli_environment(localcloud, project, tmp_path, "mcloud")
    create_cluster(project.user, kube, Settings(cloud="mcloud", prefix="to"), "w7")
    argv = ["mgmt", "delete", "-e", str(tmp_path), "--state-dir", str(tmp_path / "state")]
    argv += ["--set", "prefix=to", "--set", "cloud=mcloud"]
    argv += ["--set", f"management.kubeconfig={kubeconfig_file}"]
    dry = kaas(*argv, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "would delete workload cluster w7/w7" in dry.stdout
    assert clusters(emulator, "w7") == {"w7"}
    done = kaas(*argv, env=env)
    assert done.returncode == 0, done.stderr
    assert "deleted workload cluster w7/w7" in done.stdout
    assert clusters(emulator, "w7") == set() and credentials(project.user, "to", "w7") == []
