"""`kaas cluster delete` against the local cloud and the real management cluster.

Each test makes clusters of names (and namespaces) of its own (tests/openstack/workloads.py):
the real Cluster API controllers take them up, CAPO builds their network, router, security
groups and API load balancer in the test's project with the cluster's credential. A deletion is
the real one: CAPI's own finalizer holds the Cluster until its machines are deleted and CAPO has
deleted what it made in the cloud, which it can only while the credential is there. What a test
leaves is deleted through CAPI after it, before the project is purged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import yaml

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import PRUNABLE, apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_deleted
from scs_kaas.localcloud import LocalCloud
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts
from scs_kaas.render.metadata import CLUSTER_API, INFRA_GROUP
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster.delete import labelled_objects
from scs_kaas.workflows.cluster.prepare import management_facts
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.progress import StepEvent
from tests.openstack.cloud_cli import cli_environment, credentials, kaas
from tests.openstack.workloads import (
    DELETE_TIMEOUT,
    Clusters,
    capo_made,
    cluster_names,
    made_clusters,
    unique,
    wait_infrastructure_ready,
)
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD


# The kinds of the add-ons and their Secrets and ConfigMaps: CAPI leaves them, the delete prunes.
ADDON_KINDS = {kind for _, kind in PRUNABLE}


def addons(objects: Iterable[object]) -> set[str]:
    """Of `objects` (ObjectRefs or their strings), those of the kinds CAPI does not delete."""
    return {str(o) for o in objects if str(o).split()[0].split(".")[0] in ADDON_KINDS}


@pytest.fixture
def cluster() -> str:
    """The cluster's name, and its namespace's: this test's own."""
    return unique("del")


@pytest.fixture
def made(project: Project, kube: KubeClient) -> Iterator[Clusters]:
    with made_clusters(project.user, kube) as clusters:
        yield clusters


def test_delete_removes_cluster_then_objects_then_credential(
    project: Project, made: Clusters, kube: KubeClient, cluster: str
) -> None:
    conn = project.user
    settings = Settings(cloud="localcloud", prefix="t", namespace=cluster)
    elsewhere = unique("other")
    other = Settings(cloud="localcloud", prefix="u", namespace=elsewhere)
    credential = made.create(settings, cluster).id
    other_credential = made.create(other, cluster).id
    # CAPO has built the network and load balancer: CAPI's deletion has them to delete
    wait_infrastructure_ready(kube, cluster, cluster)
    assert capo_made(conn, cluster)
    target = ClusterTarget("t", cluster, cluster)
    planned = cluster_delete.plan(conn, kube, target)
    assert planned.cluster_found and planned.credential_ids == (credential,)
    assert len(planned.objects) >= 10 and addons(planned.objects)
    events: list[StepEvent] = []
    while_deleting: list[tuple[list[str], set[str]]] = []

    def progress(event: StepEvent) -> None:
        events.append(event)
        if event.step == "cluster" and event.detail.endswith(": Deleting"):
            # CAPI is deleting the machines and CAPO the cloud resources: the credential and
            # the add-ons must stay (seen from inside the wait, the Cluster still there)
            while_deleting.append(
                (credentials(conn, "t", cluster), addons(labelled_objects(kube, target)))
            )

    started = time.monotonic()
    result = cluster_delete.run(conn, kube, target, DELETE_TIMEOUT, progress)
    print(f"cluster delete: {time.monotonic() - started:.2f} s")  # shown with -s
    assert while_deleting, [e.detail for e in events]
    assert all(seen == ([credential], addons(planned.objects)) for seen in while_deleting)
    assert result.cluster_deleted and result.credential_ids == (credential,)
    # CAPI deleted the rest (KCP, MachineDeployment, OpenStackCluster, templates by owner)
    assert addons(planned.objects) <= set(result.objects) <= set(planned.objects)
    assert cluster_names(kube, cluster) == set()
    assert labelled_objects(kube, target) == []
    assert capo_made(conn, cluster) == []  # CAPO could delete them: the credential was there
    assert credentials(conn, "t", cluster) == []
    steps = [(e.step, e.phase) for e in events if e.phase != "start"]
    # no OCCM or CSI resource to release first; the sweep found nothing left but the credential
    assert steps == [
        ("cloud-provider", "skipped"),
        ("cluster", "deleted"),
        ("objects", "deleted"),
        ("app-credential", "deleted"),
    ]
    # the other environment's cluster of the same name is untouched
    assert cluster_names(kube, elsewhere) == {cluster}
    assert labelled_objects(kube, ClusterTarget("u", elsewhere, cluster))
    assert credentials(conn, "u", cluster) == [other_credential]


def test_an_interrupted_delete_converges_on_a_rerun(
    project: Project, made: Clusters, kube: KubeClient, cluster: str
) -> None:
    conn = project.user
    in_its_namespace = Settings(cloud="localcloud", prefix="t", namespace=cluster)
    credential = made.create(in_its_namespace, cluster).id
    wait_infrastructure_ready(kube, cluster, cluster)
    target = ClusterTarget("t", cluster, cluster)
    with pytest.raises(ClusterError, match="deletion"):
        # CAPO takes longer than that to delete the load balancer, network and server
        cluster_delete.run(conn, kube, target, timeout=1)
    assert credentials(conn, "t", cluster) == [credential]
    assert addons(labelled_objects(kube, target))
    # CAPI finishes meanwhile, as the interrupted run left it to
    wait_deleted(kube, CLUSTER_API, "Cluster", cluster, cluster, DELETE_TIMEOUT)
    assert capo_made(conn, cluster) == []
    result = cluster_delete.run(conn, kube, target, timeout=60)
    assert not result.cluster_deleted and addons(result.objects) and result.credential_ids
    assert labelled_objects(kube, target) == [] and credentials(conn, "t", cluster) == []
    again = cluster_delete.run(conn, kube, target, timeout=60)
    assert (again.cluster_deleted, again.objects, again.credential_ids) == (False, (), ())


def test_a_cluster_of_another_prefix_is_refused_untouched(
    project: Project, made: Clusters, kube: KubeClient, cluster: str
) -> None:
    conn = project.user
    in_its_namespace = Settings(cloud="localcloud", prefix="u", namespace=cluster)
    credential = made.create(in_its_namespace, cluster).id
    before = labelled_objects(kube, ClusterTarget("u", cluster, cluster))
    with pytest.raises(ClusterError, match="not one scs-kaas made for prefix 't'"):
        cluster_delete.run(conn, kube, ClusterTarget("t", cluster, cluster), timeout=10)
    with pytest.raises(ClusterError, match="nothing was deleted"):
        cluster_delete.plan(conn, kube, ClusterTarget("t", cluster, cluster))
    (found,) = kube.resource(CLUSTER_API, "Cluster").get(namespace=cluster).to_dict()["items"]
    assert "deletionTimestamp" not in found["metadata"]
    assert addons(labelled_objects(kube, ClusterTarget("u", cluster, cluster))) == addons(before)
    assert credentials(conn, "u", cluster) == [credential]


def test_what_capi_left_of_capos_kinds_is_pruned_in_the_version_capo_serves(
    project: Project, kube: KubeClient, cluster: str
) -> None:
    """OpenStackMachineTemplates outlive their Cluster until the garbage collector comes (owner
    references): a delete prunes them and waits for them in the version CAPO serves (v1beta1 on
    CAPO v0.14.7, though LEFT_BEHIND names v1beta2). No Cluster is made: CAPI does nothing."""
    settings = Settings(cloud="localcloud", prefix="t", namespace=cluster)
    offline = render_cluster(cluster, settings, CloudFacts(), placeholder_identity("localcloud"))
    documents = render_cluster(
        cluster,
        settings,
        CloudFacts(),
        placeholder_identity("localcloud"),
        management=management_facts(kube, offline),
    )
    templates = [d for d in documents if d["kind"] in ("Namespace", "OpenStackMachineTemplate")]
    assert {d["apiVersion"] for d in templates[1:]} == {f"{INFRA_GROUP}/v1beta1"}
    try:
        apply(kube, templates)
        target = ClusterTarget("t", cluster, cluster)
        result = cluster_delete.run(project.user, kube, target, timeout=60)
        assert not result.cluster_deleted and len(result.objects) == len(templates) - 1
        assert {o.split()[0] for o in result.objects} == {f"OpenStackMachineTemplate.{INFRA_GROUP}"}
        assert labelled_objects(kube, target) == []
    finally:
        kube.resource("v1", "Namespace").delete(name=cluster)


def test_cli_dry_run_then_delete_through_the_console_script(
    localcloud: LocalCloud,
    project: Project,
    made: Clusters,
    kube: KubeClient,
    cluster: str,
    kubeconfig_file: Path,
    tmp_path: Path,
) -> None:
    env, secret = cli_environment(localcloud, project, tmp_path, "delcloud")
    # in namespace `cluster`: the CLI, without the setting, finds it there as a cluster made
    # before namespaces were `<prefix>-<cluster>`
    old = Settings(cloud="delcloud", prefix="t", namespace=cluster)
    credential = made.create(old, cluster).id
    wait_infrastructure_ready(kube, cluster, cluster)
    argv = ["cluster", "delete", cluster, "-e", str(tmp_path), "--set", "prefix=t"]
    argv += ["--set", "cloud=delcloud", "--kubeconfig", str(kubeconfig_file)]

    dry = kaas(*argv, "--dry-run", "-o", "json", env=env)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["cluster_found"] and planned["credential_ids"] == [credential]
    (found,) = kube.resource(CLUSTER_API, "Cluster").get(namespace=cluster).to_dict()["items"]
    assert "deletionTimestamp" not in found["metadata"]

    timed_out = kaas(*argv, "--timeout", "1", env=env)
    assert timed_out.returncode == 1
    assert f"Cluster {cluster}/{cluster}" in timed_out.stderr and "deletion" in timed_out.stderr
    assert credentials(project.user, "t", cluster) == [credential]

    started = time.monotonic()
    done = kaas(*argv, "--timeout", str(DELETE_TIMEOUT), "-o", "yaml", env=env)
    print(f"kaas cluster delete (console script): {time.monotonic() - started:.2f} s")
    assert done.returncode == 0, done.stderr
    shown = yaml.safe_load(done.stdout)
    assert shown["credential_ids"] == [credential] and shown["objects"]
    assert "app-credential" in done.stderr  # progress went to stderr
    assert credentials(project.user, "t", cluster) == []
    assert cluster_names(kube, cluster) == set() and capo_made(project.user, cluster) == []
    assert labelled_objects(kube, ClusterTarget("t", cluster, cluster)) == []
    assert secret not in done.stdout + done.stderr + timed_out.stderr
