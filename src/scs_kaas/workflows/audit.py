"""`kaas audit`: what of this environment's prefix is in the cloud without a live owner.

Read only, one listing per resource type. Orphans are the resources proven to be a cluster's
(openstack/leftovers.py) for a cluster of the prefix that the management cluster does not
have, and the management host's tagged resources when no host is recorded; each group comes
with the command that deletes it. Suspects are resources whose names look like ours but which
carry no proof (untagged, or OCCM's and CSI's bare cluster name): listed, never deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.openstack.leftovers import ClusterOwner, Inventory, Leftover, classify, read_inventory
from scs_kaas.openstack.ownership import has_metadata
from scs_kaas.workflows.cluster.sweep import by_kind

MANAGED = f"managed-by={naming.MANAGED_BY}"
LOOKALIKE_STEMS = ("k8s-clusterapi-cluster-", naming.OCCM_LOAD_BALANCER_PREFIX)


@dataclass(frozen=True)
class Orphan:
    owner: str  # a cluster name, or "management host"
    resources: dict[str, list[str]]
    command: str


@dataclass(frozen=True)
class AuditReport:
    prefix: str
    live_clusters: list[str]
    orphans: list[Orphan]
    suspects: list[str]
    notes: list[str] = field(default_factory=list)


def _tagged_resources(inventory: Inventory) -> Iterable[Any]:
    for resources in (
        inventory.networks,
        inventory.subnets,
        inventory.routers,
        inventory.ports,
        inventory.security_groups,
        inventory.floating_ips,
        inventory.load_balancers,
        inventory.servers,
    ):
        yield from resources


def clusters_in_cloud(inventory: Inventory, prefix: str) -> set[str]:
    """Clusters of `prefix` something in the project is proven to belong to."""
    found = set()
    ours = {MANAGED, f"prefix={prefix}"}
    for resource in _tagged_resources(inventory):
        tags = set(resource.tags or ())
        if ours <= tags:
            found |= {t.removeprefix("cluster=") for t in tags if t.startswith("cluster=")}
    stem = f"{naming.OCCM_LOAD_BALANCER_PREFIX}{prefix}-"
    for balancer in inventory.load_balancers:
        name = str(balancer.name or "")
        if name.startswith(stem):
            found.add(name[len(stem) :].split("_", 1)[0])
    for item in [*inventory.volumes, *inventory.snapshots]:
        value = str((item.metadata or {}).get(naming.CSI_CLUSTER_METADATA) or "")
        if value.startswith(f"{prefix}-"):
            found.add(value.removeprefix(f"{prefix}-"))
    return {c for c in found if c}


def owner_in(inventory: Inventory, prefix: str, cluster: str) -> ClusterOwner:
    stem = f"{prefix}-{cluster}-"
    groups = {str(g.name) for g in inventory.server_groups if str(g.name).startswith(stem)}
    return ClusterOwner(prefix, cluster, frozenset(groups))


def management_leftovers(inventory: Inventory, prefix: str) -> list[Leftover]:
    tags = set(naming.management_tags(prefix))
    kinds = (
        ("network", inventory.networks),
        ("subnet", inventory.subnets),
        ("router", inventory.routers),
        ("port", inventory.ports),
        ("security group", inventory.security_groups),
        ("floating IP", inventory.floating_ips),
        ("server", inventory.servers),
    )
    found = [
        Leftover(kind, str(r.id), str(r.name or ""), "tags")
        for kind, resources in kinds
        for r in resources
        if tags <= set(r.tags or ())
    ]
    # the root volume carries the tags as metadata (Cinder has no tags)
    return found + [
        Leftover("volume", str(v.id), str(v.name or ""), "management tags")
        for v in inventory.volumes
        if has_metadata(v.metadata, sorted(tags))
    ]


def _lookalikes(inventory: Inventory, prefix: str, proven: set[str]) -> list[str]:
    stems = (*LOOKALIKE_STEMS, f"{prefix}-")
    # another environment's OCCM load balancers sit on its tagged networks: not look-alikes
    tagged = {str(n.id) for n in inventory.networks if MANAGED in set(n.tags or ())}
    proven = proven | {
        str(b.id) for b in inventory.load_balancers if str(b.vip_network_id) in tagged
    }
    named = (
        ("network", inventory.networks),
        ("router", inventory.routers),
        ("security group", inventory.security_groups),
        ("load balancer", inventory.load_balancers),
        ("server", inventory.servers),
        ("volume", inventory.volumes),
        ("server group", inventory.server_groups),
    )
    return [
        f"{kind} {r.name} ({r.id}): named like ours, no proof"
        for kind, resources in named
        for r in resources
        if str(r.name or "").startswith(stems)
        and str(r.id) not in proven
        and MANAGED not in set(getattr(r, "tags", None) or ())
    ]


def run(conn: Connection, prefix: str, live_clusters: set[str], host_recorded: bool) -> AuditReport:
    """Orphans and suspects of `prefix`, given the clusters the management cluster has."""
    inventory = read_inventory(conn)
    orphans: list[Orphan] = []
    suspects: list[str] = []
    proven: set[str] = set()
    for cluster in sorted(clusters_in_cloud(inventory, prefix) | live_clusters):
        found = classify(inventory, owner_in(inventory, prefix, cluster), keep_volumes=False)
        proven |= {item.id for item in found.leftovers}
        suspects += [f"{s.kind} {s.name or s.id} ({s.id}): {s.reason}" for s in found.suspects]
        if cluster not in live_clusters and found.leftovers:
            command = f"kaas cluster sweep {cluster} --set prefix={prefix}"
            orphans.append(Orphan(cluster, by_kind(found.leftovers), command))
    management = management_leftovers(inventory, prefix)
    proven |= {item.id for item in management}
    if management and not host_recorded:
        orphans.append(Orphan("management host", by_kind(management), "kaas purge"))
    suspects += _lookalikes(inventory, prefix, proven)
    return AuditReport(prefix, sorted(live_clusters), orphans, sorted(set(suspects)))
