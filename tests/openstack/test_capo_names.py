"""Names unique per prefix, with the real CAPO: cluster `demo` of two environments in one
project gets two networks and two cloud names (OCCM, Cinder CSI); a network of CAPO's name that
is not ours stops a create before any write; a cluster made before keeps its names."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud import LocalCloud
from scs_kaas.naming import CLOUD_NAME_ANNOTATION
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import create as cluster_create
from scs_kaas.workflows.cluster.create import CreateOptions
from scs_kaas.workflows.cluster.facts import resolve_facts
from scs_kaas.workflows.cluster.identity import cluster_identity
from scs_kaas.workflows.cluster.prepare import management_facts
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.devcloud import prepare_for_clusters
from tests.openstack.cloud_cli import credentials
from tests.openstack.workloads import Clusters, made_clusters, wait_infrastructure_ready
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

CAPI = "cluster.x-k8s.io/v1beta2"
HCP = "addons.cluster.x-k8s.io/v1alpha1"
NO_WAIT = CreateOptions(wait=False)


def _settings(prefix: str, **more: Any) -> Settings:
    return Settings(
        cloud="localcloud",
        prefix=prefix,
        control_plane={"count": 1, "flavor": "SCS-2V-4-20s"},
        node_groups=[{"name": "md-0", "count": 0, "flavor": "SCS-2V-4"}],
        **more,
    )


@pytest.fixture
def prefixes(project: Project, localcloud: LocalCloud, tmp_path: Path) -> list[str]:
    """Two prefixes of this test's own, each with its node image and keypair."""
    made = [f"p{secrets.token_hex(3)}", f"q{secrets.token_hex(3)}"]
    image_file = localcloud.layout.data / "scratch" / "ubuntu-24.04.qcow2"
    for index, prefix in enumerate(made):
        prepare_for_clusters(project.user, _settings(prefix), image_file, tmp_path / f"key{index}")
    return made


@pytest.fixture
def made(project: Project, kube: KubeClient) -> Iterator[Clusters]:
    with made_clusters(project.user, kube) as clusters:
        yield clusters


def _cloud_names(kube: KubeClient, namespace: str, cluster: str) -> tuple[str, str]:
    """(OCCM's cluster.name, Cinder CSI's clusterID) as the HelmChartProxies hand them over."""
    proxies = kube.resource(HCP, "HelmChartProxy")
    ccm = proxies.get(name=f"{cluster}-openstack-ccm", namespace=namespace).to_dict()
    csi = proxies.get(name=f"{cluster}-cinder-csi", namespace=namespace).to_dict()
    ccm_values = yaml.safe_load(ccm["spec"]["valuesTemplate"])
    csi_values = yaml.safe_load(csi["spec"]["valuesTemplate"])
    return ccm_values["cluster"]["name"], csi_values["clusterID"]


def _networks(conn: Connection, cluster: str) -> dict[str, list[str]]:
    """CAPO's networks of clusters called `cluster`, name -> tags."""
    return {
        n.name: sorted(n.tags)
        for n in conn.network.networks()
        if n.name.startswith("k8s-clusterapi-cluster-") and n.name.endswith(f"-{cluster}")
    }


def test_cluster_demo_of_two_prefixes_gets_two_networks_and_two_cloud_names(
    project: Project, kube: KubeClient, made: Clusters, prefixes: list[str]
) -> None:
    conn = project.user
    cluster = "demo"
    for prefix in prefixes:
        made.made.append(_target(prefix, cluster))
        result = cluster_create.run(conn, kube, _settings(prefix), cluster, options=NO_WAIT)
        assert result.namespace == f"{prefix}-{cluster}"
    for prefix in prefixes:
        wait_infrastructure_ready(kube, f"{prefix}-{cluster}", cluster)
        assert _cloud_names(kube, f"{prefix}-{cluster}", cluster) == (f"{prefix}-demo",) * 2
    networks = _networks(conn, cluster)
    assert sorted(networks) == sorted(f"k8s-clusterapi-cluster-{p}-demo-demo" for p in prefixes)
    for prefix in prefixes:
        tags = networks[f"k8s-clusterapi-cluster-{prefix}-demo-demo"]
        assert f"prefix={prefix}" in tags and "cluster=demo" in tags
    # each API load balancer is its own, named after its network
    balancers = sorted(b.name for b in conn.load_balancer.load_balancers())
    assert balancers == sorted(f"k8s-clusterapi-cluster-{p}-demo-demo-kubeapi" for p in prefixes)


def _target(prefix: str, cluster: str) -> ClusterTarget:
    return ClusterTarget(prefix, f"{prefix}-{cluster}", cluster)


def test_a_network_of_capos_name_without_our_tags_stops_the_create_before_any_write(
    project: Project, kube: KubeClient, prefixes: list[str]
) -> None:
    conn = project.user
    prefix, cluster = prefixes[0], "demo"
    foreign = conn.network.create_network(name=f"k8s-clusterapi-cluster-{prefix}-demo-demo")
    for run in (cluster_create.plan, cluster_create.run):
        with pytest.raises(CloudError, match="exists without the tags") as raised:
            run(conn, kube, _settings(prefix), cluster)
        assert foreign.id in str(raised.value)
    assert credentials(conn, prefix, cluster) == []  # no credential made
    namespaces = kube.resource("v1", "Namespace").get().to_dict()["items"]
    assert f"{prefix}-{cluster}" not in {n["metadata"]["name"] for n in namespaces}
    assert conn.network.get_network(foreign.id).tags == []
    conn.network.delete_network(foreign.id)


def test_a_cluster_made_before_keeps_its_namespace_and_cloud_name(
    project: Project, kube: KubeClient, made: Clusters, prefixes: list[str]
) -> None:
    """As made before names were unique per prefix: in namespace `<cluster>`, OCCM and CSI
    called `<cluster>`, nothing recorded on the Cluster."""
    conn = project.user
    prefix, cluster = prefixes[0], f"old{secrets.token_hex(3)}"
    old = _settings(prefix, namespace=cluster)
    made.made.append(ClusterTarget(prefix, cluster, cluster))
    identity = cluster_identity(conn, old, cluster).identity
    offline = render_cluster(cluster, old, CloudFacts(), identity)
    facts = replace(management_facts(kube, offline), cloud_cluster_name=cluster)
    cloud = resolve_facts(conn, old)  # as a create resolves them (CAPO allows no change later)
    rendered = render_cluster(cluster, old, cloud, identity, management=facts)
    for document in rendered:
        if document["kind"] == "Cluster":  # an old render recorded nothing
            del document["metadata"]["annotations"][CLOUD_NAME_ANNOTATION]
    apply(kube, rendered)
    assert _cloud_names(kube, cluster, cluster) == (cluster, cluster)

    settings = _settings(prefix)  # no namespace setting: the new default would differ
    plan = cluster_create.plan(conn, kube, settings, cluster)
    assert plan.namespace == cluster
    assert [r for r in plan.change if r.startswith("HelmChartProxy")] == []  # names kept
    result = cluster_create.run(conn, kube, settings, cluster, options=NO_WAIT)
    assert result.namespace == cluster
    assert _cloud_names(kube, cluster, cluster) == (cluster, cluster)
    live = kube.resource(CAPI, "Cluster").get(name=cluster, namespace=cluster).to_dict()
    assert live["metadata"]["annotations"][CLOUD_NAME_ANNOTATION] == cluster  # recorded now
    namespaces = kube.resource("v1", "Namespace").get().to_dict()["items"]
    assert f"{prefix}-{cluster}" not in {n["metadata"]["name"] for n in namespaces}
