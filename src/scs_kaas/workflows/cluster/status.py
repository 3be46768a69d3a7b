"""`kaas cluster status NAME`: the cluster's objects and the cloud's side of them (read only).

The management cluster's objects (`objects.py`), the Nova servers tagged with the cluster's
ownership tags (one request) and the API load balancer the OpenStackCluster names, put into a
tree by `status_tree`. `--watch` waits for the next change through a watch on the cluster's
Machines (CAPI mirrors the state of their bootstrap configs, OpenStackMachines and nodes into
them), or at most `refresh` seconds, which is how often the cloud's side is read again.
"""

from __future__ import annotations

import datetime

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import changed_within
from scs_kaas.openstack.servers import load_balancer_state, tagged_servers
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.workflows.cluster.objects import read_cluster_objects, status_of
from scs_kaas.workflows.cluster.status_tree import DEFAULT_STUCK_AFTER, StatusNode, status_tree
from scs_kaas.workflows.cluster.target import ClusterTarget, owned_cluster


def run(
    conn: Connection,
    kube: KubeClient,
    target: ClusterTarget,
    stuck_after: float = DEFAULT_STUCK_AFTER,
    now: datetime.datetime | None = None,
    every: bool = False,
) -> StatusNode:
    """The status tree of `target`; a ClusterError if there is no such cluster of ours."""
    cluster = owned_cluster(kube, target)
    if cluster is None:
        raise ClusterError(
            f"there is no Cluster {target} (`kaas cluster list` shows the clusters of prefix "
            f"{target.prefix})"
        )
    objects = read_cluster_objects(kube, cluster)
    servers = tagged_servers(conn, naming.ownership_tags(target.prefix, target.name))
    balancer_id = (status_of(objects.infrastructure).get("apiServerLoadBalancer") or {}).get("id")
    balancer = load_balancer_state(conn, str(balancer_id)) if balancer_id else None
    return status_tree(
        objects,
        servers,
        balancer,
        now or datetime.datetime.now(tz=datetime.UTC),
        stuck_after,
        every,
    )


def wait_for_change(kube: KubeClient, target: ClusterTarget, refresh: float) -> bool:
    """Return at the next change of one of the cluster's Machines (True), or after `refresh`
    seconds (False; the cloud's side has no watch, so it is read again then)."""
    selector = f"{naming.LABEL_CLUSTER_NAME}={target.name}"
    return changed_within(kube, CLUSTER_API, "Machine", target.namespace, selector, refresh)
