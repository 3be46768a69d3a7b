"""Workload clusters in the session's real management cluster (tests/support/management.py) for the
localcloud tests, applied as `kaas cluster create` applies them: the cluster's credential, the
render in the CAPO API the management cluster serves (v1beta1 for CAPO v0.14), the apply.

The real controllers then take them up: CAPO builds the network, router, security groups and
API load balancer in the test's project with the cluster's credential, KCP writes the
`<cluster>-kubeconfig` Secret once the endpoint is known; no node ever joins. Names must be
unique per test (`unique`): CAPO names the cloud resources after namespace and cluster.

What a test made must go before its project is purged, or CAPO keeps failing on it:
`made_clusters` deletes what is left through CAPI (`cluster_delete.run`: the Cluster and what CAPO
made, the add-ons, the credential), then the namespace.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from kubernetes.client.exceptions import ApiException
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.kubeconfig import secret_name
from scs_kaas.kube.secrets import apply_secret, read_secret
from scs_kaas.kube.wait import wait_for
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import AppCredentialSecret
from scs_kaas.render.facts import CloudFacts
from scs_kaas.render.metadata import CLUSTER_API, INFRA_GROUP
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster.identity import cluster_identity
from scs_kaas.workflows.cluster.prepare import management_facts
from scs_kaas.workflows.cluster.target import ClusterTarget

DELETE_TIMEOUT = 300.0  # CAPO deletes a cluster's load balancer and network in ~30 s here
READY_TIMEOUT = 300.0
# the type and label CAPI gives the Secrets it writes (`<cluster>-kubeconfig` among them)
CAPI_SECRET_TYPE = "cluster.x-k8s.io/secret"


def unique(base: str) -> str:
    """A cluster name (or prefix) of this test's own."""
    return f"{base}{secrets.token_hex(3)}"


def create_cluster(
    conn: Connection, kube: KubeClient, settings: Settings, name: str
) -> AppCredentialSecret:
    """What `kaas cluster create` does up to the apply: credential, render, apply."""
    made = cluster_identity(conn, settings, name)
    offline = render_cluster(name, settings, CloudFacts(), made.identity)
    facts = management_facts(kube, offline)
    apply(kube, render_cluster(name, settings, CloudFacts(), made.identity, management=facts))
    return made.credential


class Clusters:
    """The clusters a test made, deleted after it by `made_clusters`."""

    def __init__(self, conn: Connection, kube: KubeClient) -> None:
        self.conn = conn
        self.kube = kube
        self.made: list[ClusterTarget] = []

    def create(self, settings: Settings, name: str) -> AppCredentialSecret:
        """`create_cluster` with the project's user; its id is the credential's."""
        self.made.append(ClusterTarget(settings.prefix, settings.namespace_for(name), name))
        return create_cluster(self.conn, self.kube, settings, name)


@contextlib.contextmanager
def made_clusters(conn: Connection, kube: KubeClient) -> Iterator[Clusters]:
    """Delete every cluster made through the yielded `Clusters` afterwards, each through CAPI
    (none left is no error), then its namespace; every one is tried, the first error raised."""
    clusters = Clusters(conn, kube)
    try:
        yield clusters
    finally:
        errors: list[Exception] = []
        for target in clusters.made:
            try:
                cluster_delete.run(conn, kube, target, DELETE_TIMEOUT)
                with contextlib.suppress(ApiException):  # gone already
                    kube.resource("v1", "Namespace").delete(name=target.namespace)
            except Exception as error:  # the others must still be deleted
                errors.append(error)
        if errors:
            raise errors[0]


def cluster_names(kube: KubeClient, namespace: str) -> set[str]:
    """The Clusters in `namespace`."""
    listed = kube.resource(CLUSTER_API, "Cluster").get(namespace=namespace).to_dict()
    return {str(item["metadata"]["name"]) for item in listed.get("items") or []}


def wait_infrastructure_ready(kube: KubeClient, namespace: str, name: str) -> None:
    """Until CAPO has built the cluster's network, router, security groups and load balancer
    (the OpenStackCluster is ready), in whichever version CAPO serves."""
    resource = kube.resource_of_group(f"{INFRA_GROUP}/v1beta2", "OpenStackCluster")

    def ready(obj: Mapping[str, Any] | None) -> bool:
        status = (obj or {}).get("status") or {}
        return bool(status.get("ready") or (status.get("initialization") or {}).get("provisioned"))

    wait_for(
        kube, resource.group_version, "OpenStackCluster", name, namespace, ready, READY_TIMEOUT
    )


def capo_made(conn: Connection, cluster: str) -> list[str]:
    """The network, router, security groups and API load balancer CAPO made in the cloud for
    `cluster` in namespace `cluster`: all named k8s-clusterapi-cluster-<namespace>-<name>..."""
    stem = f"k8s-clusterapi-cluster-{cluster}-{cluster}"
    network, balancing = conn.network, conn.load_balancer
    found = [("network", n.name) for n in network.networks()]
    found += [("router", r.name) for r in network.routers()]
    found += [("security group", g.name) for g in network.security_groups()]
    found += [("load balancer", b.name) for b in balancing.load_balancers()]
    return [f"{kind} {name}" for kind, name in found if str(name).startswith(stem)]


def stored_secret(kube: KubeClient, namespace: str, name: str) -> dict[str, Any]:
    """Secret `namespace/name` as stored (data base64-encoded)."""
    found: dict[str, Any] = (
        kube.resource("v1", "Secret").get(name=name, namespace=namespace).to_dict()
    )
    return found


def secret_values(kube: KubeClient, namespace: str, name: str) -> dict[str, str]:
    """Secret `namespace/name`'s data, decoded."""
    data = read_secret(kube, namespace, name)
    return {key: data[key] for key in data}


def decoded(data: Mapping[str, str] | None) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in (data or {}).items()}


def register(kube: KubeClient, namespace: str, cluster: str, kubeconfig: Mapping[str, Any]) -> None:
    """Point the `<cluster>-kubeconfig` Secret at `kubeconfig` (a workload cluster's admin one).

    Written with the type and label CAPI gives it: whether KCP wrote its own first (once the
    endpoint was known) or finds this one, both are the same Secret (the type is immutable),
    and KCP rewrites it only for a client certificate about to expire (none here is).
    """
    apply_secret(
        kube,
        namespace,
        secret_name(cluster),
        {"value": yaml.safe_dump(dict(kubeconfig))},
        labels={naming.LABEL_CLUSTER_NAME: cluster},
        type_=CAPI_SECRET_TYPE,
    )
