"""The Nova server groups a cluster's settings ask for (pure: names and policies only).

CAPO never creates a server group, it only looks one up, so `kaas cluster create` makes these
before the apply and the machine templates reference them by id. Their names are recorded on the
Cluster (`SERVER_GROUPS_ANNOTATION`), so `kaas cluster delete` deletes exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scs_kaas import naming
from scs_kaas.settings.model import Settings

SERVER_GROUPS_ANNOTATION = "kaas.scs.community/server-groups"
CONTROL_PLANE_ROLE = "control-plane"


@dataclass(frozen=True)
class WantedServerGroup:
    name: str
    policy: str  # anti-affinity or soft-anti-affinity
    setting: str  # the setting that asks for it, for messages


def wanted_server_groups(settings: Settings, cluster: str) -> list[WantedServerGroup]:
    """One group per machine set that asks for one: the control plane, each node group."""
    wanted = []
    plane = settings.control_plane
    if plane.server_group != "none":
        name = naming.server_group(settings.prefix, cluster, CONTROL_PLANE_ROLE)
        wanted.append(WantedServerGroup(name, plane.server_group, "control_plane.server_group"))
    for index, group in enumerate(settings.node_groups):
        if group.server_group != "none":
            name = naming.server_group(settings.prefix, cluster, group.name)
            setting = f"node_groups[{index}].server_group"
            wanted.append(WantedServerGroup(name, group.server_group, setting))
    return wanted


def server_groups_annotation(settings: Settings, cluster: str) -> dict[str, str]:
    """The Cluster's record of its server groups; empty when it has none."""
    names = sorted(g.name for g in wanted_server_groups(settings, cluster))
    return {SERVER_GROUPS_ANNOTATION: ",".join(names)} if names else {}


def recorded_server_groups(cluster: dict[str, Any]) -> list[str]:
    """The server group names a live Cluster records (none if it records none)."""
    annotations = (cluster.get("metadata") or {}).get("annotations") or {}
    return [name for name in str(annotations.get(SERVER_GROUPS_ANNOTATION, "")).split(",") if name]
