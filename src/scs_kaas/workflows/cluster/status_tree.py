"""The tree `kaas cluster status` shows, built from objects already read (pure: no I/O, the
clock passed in).

Like `clusterctl describe cluster`: Cluster -> OpenStackCluster (with the API load balancer as
Octavia sees it) -> control plane -> its machines, then each node group -> its machines. Every
object lists only the conditions worth a look: those not True, and the ones whose True means
something is going on (Deleting, RollingOut, ...). Each machine carries the cloud's side, which
CAPI does not show: the Nova server's status, fault, flavor and addresses. A machine that is
not Available after `stuck_after` seconds is marked with its likely cause.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scs_kaas.openstack.servers import LoadBalancerState, ServerState
from scs_kaas.workflows.cluster.list import age_seconds, condition, versions_of
from scs_kaas.workflows.cluster.objects import (
    ClusterObjects,
    name_of,
    node_group_of,
    spec_of,
    status_of,
)

DEFAULT_STUCK_AFTER = 900.0
# Conditions whose True is the news (CAPI v1beta2); shown when True, hidden when False.
NEGATIVE = frozenset(
    {"Deleting", "Paused", "RollingOut", "ScalingUp", "ScalingDown", "Remediating", "Updating"}
)


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str


@dataclass(frozen=True)
class StatusNode:
    kind: str
    name: str
    summary: str
    conditions: tuple[Condition, ...] = ()
    server: ServerState | None = None
    load_balancer: LoadBalancerState | None = None
    stuck: str | None = None  # the likely cause, for a machine stuck past the threshold
    children: tuple[StatusNode, ...] = field(default=())


def notable_conditions(
    obj: Mapping[str, Any] | None, every: bool = False, summary: str | None = None
) -> tuple[Condition, ...]:
    """The conditions worth a look. Unless `every`: not those still Unknown, and not those
    that only sum up others (their message lists them, `* ...`): the objects below show
    those themselves; `summary` names one kept anyway (the Cluster's Available)."""
    shown = []
    for found in status_of(obj).get("conditions") or []:
        kind, status = str(found.get("type")), str(found.get("status"))
        if (kind in NEGATIVE) != (status == "True"):
            continue
        message = _message(found)
        if not every and kind != summary and (status == "Unknown" or message.startswith("*")):
            continue
        shown.append(Condition(kind, status, str(found.get("reason") or ""), message))
    # CAPO v0.14's v1beta1 conditions are at status.conditions too; CAPI's objects keep their
    # v1beta1 ones under status.deprecated, which is not read: nothing is shown twice.
    return tuple(shown)


def _message(found: Mapping[str, Any]) -> str:
    return " ".join(str(found.get("message") or "").split())[:400]


def _server_for(
    machine: Mapping[str, Any],
    infra: Mapping[str, Any] | None,
    servers: Sequence[ServerState],
) -> ServerState | None:
    """The Nova server of a machine: by providerID or CAPO's instanceID, else by name (CAPO
    names the server after the OpenStackMachine; a server in ERROR has no providerID)."""
    ids = {
        str(spec_of(machine).get("providerID") or "").removeprefix("openstack:///"),
        str(status_of(infra).get("instanceID") or ""),
    } - {""}
    names = {name_of(machine), name_of(infra or {})} - {""}
    by_id = [s for s in servers if s.id in ids]
    found = by_id or [s for s in servers if s.name in names]
    return found[0] if found else None


def likely_cause(
    machine: Mapping[str, Any], infra: Mapping[str, Any] | None, server: ServerState | None
) -> str:
    """Why a machine is not Available, from what is known (most specific first)."""
    if server is not None and server.fault:
        return f"Nova: {server.fault}"
    if server is not None and server.status == "ERROR":
        return "the server is in ERROR (Nova gives no fault message)"
    bootstrap = condition(machine, "BootstrapConfigReady")
    if server is None and bootstrap.get("status") != "True":
        return (
            "no server yet: the bootstrap data is not ready"
            f" ({bootstrap.get('reason') or 'unknown'}); workers wait until the control plane"
            " is initialized"
        )
    if server is None:
        infra_problems = [c for c in notable_conditions(infra, True) if c.status != "True"]
        detail = "; ".join(f"{c.type}: {c.reason} {c.message}".strip() for c in infra_problems)
        return "no server yet" + (f": {detail}" if detail else " (CAPO has not created it)")
    if not (status_of(machine).get("nodeRef") or {}).get("name"):
        return (
            f"the server is {server.status} but its node never joined: look at its console log"
            f" (`openstack console log show {server.id}`), the API load balancer and the"
            " security groups"
        )
    node = condition(machine, "NodeReady")
    return f"the node is not ready: {node.get('reason') or 'unknown'} {_message(node)}".strip()


def _machine_node(
    objects: ClusterObjects,
    machine: Mapping[str, Any],
    servers: Sequence[ServerState],
    now: datetime.datetime,
    stuck_after: float,
    every: bool,
) -> StatusNode:
    infra = objects.infrastructure_machine(machine)
    server = _server_for(machine, infra, servers)
    available = condition(machine, "Available").get("status") == "True"
    stuck = None
    if not available and age_seconds(machine, now) > stuck_after:
        stuck = likely_cause(machine, infra, server)
    version = spec_of(machine).get("version") or ""
    phase = status_of(machine).get("phase") or ""
    children: tuple[StatusNode, ...] = ()
    if infra is not None:
        children = (
            StatusNode(
                str(infra.get("kind") or "OpenStackMachine"),
                name_of(infra),
                "ready" if status_of(infra).get("ready") else "not ready",
                notable_conditions(infra, every),
            ),
        )
    return StatusNode(
        "Machine",
        name_of(machine),
        " ".join(str(p) for p in (phase, version) if p),
        notable_conditions(machine, every),
        server=server,
        stuck=stuck,
        children=children,
    )


def _replicas(obj: Mapping[str, Any]) -> str:
    desired = spec_of(obj).get("replicas")
    ready = int(status_of(obj).get("readyReplicas") or 0)
    versions = ", ".join(versions_of(obj)) or "no machines"
    wanted = spec_of(obj).get("version") or (spec_of(obj).get("template") or {}).get(
        "spec", {}
    ).get("version", "")
    count = f"{ready}/{desired if desired is not None else 'auto'} ready"
    return f"{count}, wants {wanted}, runs {versions}"


def status_tree(
    objects: ClusterObjects,
    servers: Sequence[ServerState],
    load_balancer: LoadBalancerState | None,
    now: datetime.datetime,
    stuck_after: float = DEFAULT_STUCK_AFTER,
    every: bool = False,
) -> StatusNode:
    """The whole tree for one cluster; `every`: all conditions not True (see
    `notable_conditions`)."""
    children: list[StatusNode] = []
    if objects.infrastructure is not None:
        infra = objects.infrastructure
        children.append(
            StatusNode(
                str(infra.get("kind") or "OpenStackCluster"),
                name_of(infra),
                "ready" if status_of(infra).get("ready") else "not ready",
                notable_conditions(infra, every),
                load_balancer=load_balancer,
            )
        )
    if objects.control_plane is not None:
        plane = objects.control_plane
        children.append(
            StatusNode(
                "KubeadmControlPlane",
                name_of(plane),
                _replicas(plane),
                notable_conditions(plane, every),
                children=tuple(
                    _machine_node(objects, m, servers, now, stuck_after, every)
                    for m in objects.machines_of(None)
                ),
            )
        )
    for deployment in objects.machine_deployments:
        children.append(
            StatusNode(
                "MachineDeployment",
                f"{name_of(deployment)} (node group {node_group_of(deployment)})",
                _replicas(deployment),
                notable_conditions(deployment, every),
                children=tuple(
                    _machine_node(objects, m, servers, now, stuck_after, every)
                    for m in objects.machines_of(name_of(deployment))
                ),
            )
        )
    cluster = objects.cluster
    phase = status_of(cluster).get("phase") or "unknown phase"
    return StatusNode(
        "Cluster",
        f"{objects.namespace}/{objects.name}",
        str(phase),
        notable_conditions(cluster, every, summary="Available"),
        children=tuple(children),
    )


def stuck_machines(tree: StatusNode) -> list[StatusNode]:
    """Every machine of the tree marked stuck."""
    found = [tree] if tree.stuck else []
    for child in tree.children:
        found += stuck_machines(child)
    return found
