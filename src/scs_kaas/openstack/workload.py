"""Servers of an environment's workload clusters, found by the tags CAPO puts on them.

The renderer gives every OpenStackMachine `ownership_tags(prefix, cluster)` (plus any
`extra_tags`); the management host carries `role=management` instead of a cluster tag, so it is
never counted here.
"""

from __future__ import annotations

from dataclasses import dataclass

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.openstack.ownership import has_tags

CLUSTER_TAG = "cluster="


@dataclass(frozen=True)
class WorkloadServer:
    id: str
    name: str
    cluster: str

    def __str__(self) -> str:
        return f"{self.name} ({self.id}, cluster {self.cluster})"


def workload_servers(conn: Connection, prefix: str) -> list[WorkloadServer]:
    """Servers tagged as the tool's for `prefix` and one of its workload clusters."""
    tags = naming.ownership_tags(prefix)
    found = []
    for server in conn.compute.servers(tags=",".join(tags)):
        server_tags = list(server.tags or ())
        clusters = [t.removeprefix(CLUSTER_TAG) for t in server_tags if t.startswith(CLUSTER_TAG)]
        if not has_tags(server_tags, tags) or naming.MANAGEMENT_ROLE_TAG in server_tags:
            continue
        if clusters:
            found.append(WorkloadServer(str(server.id), str(server.name), clusters[0]))
    return sorted(found, key=lambda s: (s.cluster, s.name))
