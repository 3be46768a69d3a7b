"""`kaas cluster upgrade` on a real cluster: the real KCP, MachineDeployment and CAPO
controllers on the local cloud, 1.33 -> 1.34.

No node ever joins here, so KCP never replaces a control-plane machine (it needs an initialized
control plane) and a MachineDeployment never finishes a rolling update (its new machines never
become available). Where the upgrade waits for that, the test does what the controllers would
have done: it sets the control-plane Machine's spec.version to the new version (what KCP's
replacement machine would carry; KCP itself then reports it in status.versions), and it deletes
the old revision's MachineSet (what the MachineDeployment does once the new machines are
available; it then scales the new MachineSet to the full count by itself).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for
from scs_kaas.localcloud import LocalCloud
from scs_kaas.render.addons.pins import OPENSTACK_CCM_BY_MINOR
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import create as cluster_create
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster import upgrade as cluster_upgrade
from scs_kaas.workflows.cluster.create import CreateOptions
from scs_kaas.workflows.cluster.objects import list_objects
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.cluster.upgrade_guard import UpgradeRefused
from scs_kaas.workflows.devcloud import prepare_for_clusters
from scs_kaas.workflows.progress import StepEvent
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

CAPI = "cluster.x-k8s.io/v1beta2"
KCP = "controlplane.cluster.x-k8s.io/v1beta2"
HCP = "addons.cluster.x-k8s.io/v1alpha1"
OLD, NEW = "v1.33.5", "v1.34.1"
TIMEOUT = 300.0


class Killed(Exception):
    """The upgrade process dies here."""


def settings_of(prefix: str, version: str, namespace: str | None = None) -> Settings:
    """`namespace`: the cluster's name, so the test reads its objects there."""
    return Settings(
        cloud="localcloud",
        prefix=prefix,
        namespace=namespace,
        kubernetes_version=version,
        control_plane={"count": 1, "flavor": "SCS-2V-4-20s"},
        node_groups=[{"name": "md-0", "count": 1, "flavor": "SCS-2V-4"}],
    )


@pytest.fixture
def prefix(project: Project, localcloud: LocalCloud, tmp_path: Path) -> str:
    """A prefix of its own, with node images of both versions and the keypair."""
    name = f"u{secrets.token_hex(3)}"
    image_file = localcloud.layout.data / "scratch" / "ubuntu-24.04.qcow2"
    for version in (OLD, NEW):
        prepare_for_clusters(project.user, settings_of(name, version), image_file, tmp_path / "k")
    return name


@pytest.fixture
def cluster(project: Project, kube: KubeClient, prefix: str) -> Iterator[str]:
    name = f"c{secrets.token_hex(3)}"
    yield name
    cluster_delete.run(project.user, kube, ClusterTarget(prefix, name, name), timeout=TIMEOUT)


def _one(kube: KubeClient, api: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = kube.resource(api, kind).get(name=name, namespace=namespace).to_dict()
    return found


def _runs(version: str, count: int) -> Any:
    def predicate(obj: Any) -> bool:
        reported = ((obj or {}).get("status") or {}).get("versions") or []
        return [(v["version"], v.get("replicas")) for v in reported] == [(version, count)]

    return predicate


def _stored(kube: KubeClient, namespace: str) -> dict[str, int]:
    """The generation of the control plane and node groups: it changes with every write of
    their spec (the controllers keep writing status, which does not change it)."""
    return {
        f"{kind}/{o['metadata']['name']}": o["metadata"]["generation"]
        for api, kind in ((KCP, "KubeadmControlPlane"), (CAPI, "MachineDeployment"))
        for o in list_objects(kube, api, kind, namespace)
    }


def test_upgrade_guards_orders_and_resumes(
    project: Project, kube: KubeClient, prefix: str, cluster: str
) -> None:
    conn: Connection = project.user
    cluster_create.run(
        conn, kube, settings_of(prefix, OLD, cluster), cluster, options=CreateOptions(wait=False)
    )
    plane, deployment = naming.control_plane(cluster), naming.node_group(cluster, "md-0")
    wait_for(kube, KCP, "KubeadmControlPlane", plane, cluster, _runs(OLD, 1), TIMEOUT)
    wait_for(kube, CAPI, "MachineDeployment", deployment, cluster, _runs(OLD, 1), TIMEOUT)

    # the guard: nothing is written for a skipped minor, a downgrade, or a create at 1.34
    stored = _stored(kube, cluster)
    with pytest.raises(UpgradeRefused, match=r"1\.33 -> 1\.34 -> 1\.35"):
        cluster_upgrade.run(conn, kube, settings_of(prefix, "v1.35.0", cluster), cluster)
    with pytest.raises(UpgradeRefused, match="cannot be downgraded"):
        cluster_upgrade.run(conn, kube, settings_of(prefix, "v1.32.9", cluster), cluster)
    with pytest.raises(ClusterError, match=f"kaas cluster upgrade {cluster} --to {NEW}"):
        cluster_create.run(
            conn,
            kube,
            settings_of(prefix, NEW, cluster),
            cluster,
            options=CreateOptions(wait=False),
        )
    assert _stored(kube, cluster) == stored

    seen: list[tuple[str, str]] = []
    facts: dict[str, Any] = {}

    def play_controllers(event: StepEvent, kill_after_control_plane: bool) -> None:
        seen.append((event.step, event.phase))
        if event.step == "control-plane" and "waiting for every machine" in event.detail:
            md = _one(kube, CAPI, "MachineDeployment", cluster, deployment)
            facts["md while control plane rolls"] = md["spec"]["template"]["spec"]["version"]
            for machine in list_objects(kube, CAPI, "Machine", cluster):
                if "cluster.x-k8s.io/control-plane" in machine["metadata"]["labels"]:
                    kube.resource(CAPI, "Machine").patch(
                        name=machine["metadata"]["name"],
                        namespace=cluster,
                        body={"spec": {"version": NEW}},
                        content_type="application/merge-patch+json",
                    )
        if event.step == "node-group md-0" and event.detail.startswith("applying"):
            kcp = _one(kube, KCP, "KubeadmControlPlane", cluster, plane)
            facts["kcp reports before md"] = kcp["status"].get("versions")
        if event.step == "node-group md-0" and "waiting for every machine" in event.detail:
            for machine_set in list_objects(kube, CAPI, "MachineSet", cluster):
                if machine_set["spec"]["template"]["spec"]["version"] == OLD:
                    kube.resource(CAPI, "MachineSet").delete(
                        name=machine_set["metadata"]["name"], namespace=cluster
                    )
        if kill_after_control_plane and event == StepEvent(
            "control-plane", "exists", f"KubeadmControlPlane {plane}: every machine runs {NEW}"
        ):
            raise Killed

    with pytest.raises(Killed):
        cluster_upgrade.run(
            conn,
            kube,
            settings_of(prefix, NEW, cluster),
            cluster,
            progress=lambda e: play_controllers(e, True),
        )
    assert facts["md while control plane rolls"] == OLD
    assert _one(kube, KCP, "KubeadmControlPlane", cluster, plane)["spec"]["version"] == NEW
    md = _one(kube, CAPI, "MachineDeployment", cluster, deployment)
    assert md["spec"]["template"]["spec"]["version"] == OLD  # killed before the node groups
    first_run = list(seen)
    seen.clear()

    result = cluster_upgrade.run(
        conn,
        kube,
        settings_of(prefix, NEW, cluster),
        cluster,
        progress=lambda e: play_controllers(e, False),
    )
    # resumed: the control plane was applied already, its wait returned at once
    (plane_step,) = [s for s in result.steps if s.step == "control-plane"]
    assert plane_step.changed == ()
    (group_step,) = [s for s in result.steps if s.step == "node-group md-0"]
    assert any(name.startswith("MachineDeployment") for name in group_step.changed)
    assert facts["kcp reports before md"] == [{"version": NEW, "replicas": 1}]
    # the order of the writes: control plane (first run), then the node group, then add-ons
    assert ("control-plane", "changed") in first_run
    assert not any(step.startswith("node-group") for step, _ in first_run)
    assert seen.index(("node-group md-0", "changed")) < seen.index(("add-ons", "changed"))
    assert result.before == (OLD, NEW)

    md = _one(kube, CAPI, "MachineDeployment", cluster, deployment)
    assert md["spec"]["template"]["spec"]["version"] == NEW
    assert _runs(NEW, 1)(md)
    ccm = [
        p
        for p in list_objects(kube, HCP, "HelmChartProxy", cluster)
        if p["spec"]["chartName"] == "openstack-cloud-controller-manager"
    ]
    assert [p["spec"]["version"] for p in ccm] == [OPENSTACK_CCM_BY_MINOR["1.34"]]
    # templates still referred to are kept; those deleted are not referred to
    kcp = _one(kube, KCP, "KubeadmControlPlane", cluster, plane)
    current = {
        kcp["spec"]["machineTemplate"]["spec"]["infrastructureRef"]["name"],
        md["spec"]["template"]["spec"]["infrastructureRef"]["name"],
    }
    assert not any(t.rsplit("/", 1)[1] in current for t in result.deleted_templates)

    again = cluster_upgrade.run(conn, kube, settings_of(prefix, NEW, cluster), cluster)
    assert all(step.changed == () for step in again.steps)  # done: a re-run changes nothing
