"""`kaas cluster delete` of a cluster with an OCCM load balancer on its network finishes.

The real CAPO builds the cluster's network; a load balancer named and described as OCCM makes
them for a Service of type LoadBalancer is put on it (its VIP port keeps the network in use:
CAPO alone would retry deleting the network until the deletion times out, CAPO issue #842).
- unreachable: the cluster's kubeconfig points at its API load balancer, where nothing answers;
  the delete removes the load balancer itself, then CAPO deletes the network.
- reachable: the kubeconfig points at a real API server holding the Service, with OCCM's
  finalizer; a thread plays OCCM (deletes the cloud load balancer once the Service is being
  deleted, then drops the finalizer). The delete deletes the Service and waits for that.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import yaml
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for
from scs_kaas.localmgmt import ManagementCluster
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.progress import StepEvent
from tests.openstack.workloads import (
    DELETE_TIMEOUT,
    Clusters,
    capo_made,
    made_clusters,
    register,
    unique,
    wait_infrastructure_ready,
)
from tests.support.leftover_matrix import occm_balancer
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

LB_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"  # OCCM's (cloud-provider's)
SERVICE = ("default", "web")


@pytest.fixture
def made(project: Project, kube: KubeClient) -> Iterator[Clusters]:
    with made_clusters(project.user, kube) as clusters:
        yield clusters


def _occm_balancer_on_capo_network(
    conn: Connection, project: Project, cluster: str
) -> tuple[str, str]:
    """(load balancer, security group) as OCCM makes them for `SERVICE`."""
    tags = ",".join(naming.ownership_tags("t", cluster))
    (subnet,) = list(conn.network.subnets(tags=tags))
    form = naming.cloud_provider_cluster_names("t", cluster)[0]
    member = str(ipaddress.ip_network(subnet.cidr)[50])
    balancer, _, group = occm_balancer(
        conn, str(subnet.id), form, project.external_network_id, member, SERVICE, False
    )
    return balancer, group


def _deleted(conn: Connection, cluster: str, balancer: str) -> None:
    assert conn.load_balancer.find_load_balancer(balancer) is None
    assert capo_made(conn, cluster) == []


def test_unreachable_workload_cluster_the_load_balancer_is_deleted_directly(
    project: Project, made: Clusters, kube: KubeClient
) -> None:
    cluster = unique("rel")
    made.create(Settings(prefix="t", namespace=cluster), cluster)
    wait_infrastructure_ready(kube, cluster, cluster)
    balancer, group = _occm_balancer_on_capo_network(project.user, project, cluster)
    events: list[StepEvent] = []

    result = cluster_delete.run(
        project.user, kube, ClusterTarget("t", cluster, cluster), DELETE_TIMEOUT, events.append
    )
    assert result.cloud_provider == "directly"
    assert any("does not answer" in note for note in result.notes)
    _deleted(project.user, cluster, balancer)
    assert project.user.network.find_security_group(group) is None


def _play_occm(workload: KubeClient, conn: Connection, balancer: str, group: str) -> bool:
    """OCCM's part of deleting the Service: the load balancer and its security group, then
    the finalizer."""
    namespace, name = SERVICE

    def being_deleted(obj: Mapping[str, Any] | None) -> bool:
        return obj is not None and "deletionTimestamp" in obj["metadata"]

    wait_for(workload, "v1", "Service", name, namespace, being_deleted, DELETE_TIMEOUT)
    found = conn.load_balancer.get_load_balancer(balancer)
    conn.load_balancer.delete_load_balancer(found, cascade=True)
    conn.load_balancer.wait_for_delete(found, wait=120)
    conn.network.delete_security_group(group)
    workload.resource("v1", "Service").patch(
        name=name,
        namespace=namespace,
        body={"metadata": {"finalizers": []}},
        content_type="application/merge-patch+json",
    )
    return True


def test_reachable_workload_cluster_occm_deletes_the_load_balancer(
    project: Project,
    made: Clusters,
    kube: KubeClient,
    workload_apiserver: ManagementCluster,
) -> None:
    cluster = unique("rel")
    made.create(Settings(prefix="t", namespace=cluster), cluster)
    wait_infrastructure_ready(kube, cluster, cluster)
    balancer, group = _occm_balancer_on_capo_network(project.user, project, cluster)
    register(kube, cluster, cluster, yaml.safe_load(workload_apiserver.kubeconfig.read_text()))
    namespace, name = SERVICE
    with KubeClient.from_file(workload_apiserver.kubeconfig) as workload:
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": namespace, "finalizers": [LB_FINALIZER]},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 8080}]},
        }
        workload.resource("v1", "Service").create(body=service, namespace=namespace)
        with ThreadPoolExecutor(1) as pool:
            occm: Future[bool] = pool.submit(_play_occm, workload, project.user, balancer, group)
            result = cluster_delete.run(
                project.user, kube, ClusterTarget("t", cluster, cluster), DELETE_TIMEOUT
            )
            assert occm.result(timeout=60)
    assert result.cloud_provider == "the workload cluster"
    _deleted(project.user, cluster, balancer)
