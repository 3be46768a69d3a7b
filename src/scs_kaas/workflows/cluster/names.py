"""The names a cluster lives under: its namespace and the name OCCM and Cinder CSI give its
cloud resources, and the check that CAPO would not adopt somebody else's network.

A new cluster gets `<prefix>-<cluster>` for both (`naming.cluster_namespace`,
`naming.cloud_cluster_name`), so cluster `demo` of two environments in one project gets two
networks (CAPO names them after namespace and cluster) and two sets of load balancer names. A
cluster made before keeps what it has: found in its old namespace (the cluster's name, then the
default) it stays there, and the cloud name recorded on its Cluster (none: the cluster's name,
as before) is rendered again. Nothing is ever silently renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openstack import exceptions
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError
from scs_kaas.kube.client import KubeClient
from scs_kaas.openstack.ownership import has_tags
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.settings.model import Settings


@dataclass(frozen=True)
class ClusterNames:
    """`settings` with the namespace pinned where the cluster lives (or will), and the cloud
    name to render (`ManagementFacts.cloud_cluster_name`)."""

    settings: Settings
    cloud_name: str
    existing: bool


def _ours(found: dict[str, Any], prefix: str, cluster: str) -> bool:
    labels = (found.get("metadata") or {}).get("labels") or {}
    return (
        labels.get(naming.LABEL_MANAGED_BY) == naming.MANAGED_BY
        and labels.get(naming.LABEL_PREFIX) == prefix
        and labels.get(naming.LABEL_CLUSTER_NAME) == cluster
    )


def resolve_cluster_names(kube: KubeClient, settings: Settings, cluster: str) -> ClusterNames:
    """Read only: where the cluster is (an explicit `namespace` setting wins), and its names.

    Without the setting, the default namespace is tried first, then the cluster's name (the
    default before names were made unique per prefix); a Cluster there counts only if it
    carries this prefix's labels (a foreign one is left to the ownership check)."""
    prefix = settings.prefix
    candidates = (
        [settings.namespace]
        if settings.namespace
        else [naming.cluster_namespace(prefix, cluster), cluster]
    )
    for namespace in candidates:
        found = kube.get(CLUSTER_API, "Cluster", cluster, namespace)
        if found is None or not _ours(found, prefix, cluster):
            continue
        annotations = (found.get("metadata") or {}).get("annotations") or {}
        # A Cluster without the record was made when the cloud name was the cluster's name.
        cloud_name = str(annotations.get(naming.CLOUD_NAME_ANNOTATION) or cluster)
        pinned = settings.model_copy(update={"namespace": namespace})
        return ClusterNames(pinned, cloud_name, True)
    return ClusterNames(settings, naming.cloud_cluster_name(prefix, cluster), False)


def check_capo_network(conn: Connection, settings: Settings, cluster: str) -> None:
    """Read only: CAPO reuses any network of the name it would give the cluster's (it looks it
    up by name), and fails to delete when there are two: refuse unless every network of that
    name is this cluster's (our tags, so a re-run of a create)."""
    name = naming.capo_network(settings.namespace_for(cluster), cluster)
    tags = naming.ownership_tags(settings.prefix, cluster)
    try:
        found = list(conn.network.networks(name=name))
    except exceptions.SDKException as error:
        raise CloudError(f"listing networks named {name!r} failed: {error}") from error
    foreign = [n for n in found if not has_tags(n.tags, tags)]
    if foreign:
        ids = ", ".join(str(n.id) for n in foreign)
        raise CloudError(
            f"network {name!r} ({ids}) exists without the tags {', '.join(tags)}: CAPO would "
            "adopt it as this cluster's network (and later delete it); nothing was changed. "
            "Rename or delete it, or set another namespace or prefix"
        )
    if len(found) > 1:
        ids = ", ".join(str(n.id) for n in found)
        raise CloudError(
            f"{len(found)} networks are named {name!r} ({ids}): CAPO cannot tell which is the "
            "cluster's and never finishes deleting it; delete all but one"
        )
