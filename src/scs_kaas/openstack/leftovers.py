"""What one workload cluster left in the project, each piece with the proof that it is ours.

Read only: one listing per resource type, then classified here, so finding costs the same few
calls for one cluster or twenty. The proofs, strongest first:

- CAPO's resources (network, subnet, router, ports, security groups, floating IPs, the API load
  balancer, servers) carry `ownership_tags(prefix, cluster)`, which the renderer gives CAPO.
- OCCM names a Service's load balancer `kube_service_<name>_<namespace>_<service>` and describes
  its floating IP and security group with `... from cluster <name>` / `... in cluster <name>`;
  Cinder CSI puts `cinder.csi.openstack.org/cluster=<name>` on volumes and snapshots. `<name>` is
  one of `naming.cloud_provider_cluster_names`: the per-prefix one proves enough; the bare
  cluster name (older renders) is the same for a same-named cluster of another prefix, so it
  counts only with a second proof: the load balancer's VIP on this cluster's tagged network, the
  floating IP on such a VIP, the security group on one of this cluster's ports, the volume
  attached to one of its servers. Without it, the resource is left (audit lists it as suspect).
- A port on the cluster's tagged network (a DOWN port of a failed boot, say) blocks the network's
  deletion; it is the cluster's unless it belongs to a router, DHCP or Octavia, whose owners
  remove them. Router interfaces are removed from the cluster's own routers only.
- CAPO's root volumes are attached to the cluster's servers; snapshots of an owned volume go too.
- Server groups have neither tags nor descriptions: their names (`naming.server_group` with the
  cluster's roles), and no member outside the cluster's servers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError
from scs_kaas.openstack.ownership import has_tags

# Deletion order, in phases (the order plans and reports show). The sweep does not wait for a
# whole phase: each deletion starts as soon as what it needs is gone (AFTER, per kind; a volume
# waits for its own servers only), independent ones side by side.
PHASES: tuple[tuple[str, ...], ...] = (
    ("floating IP", "load balancer", "server", "snapshot"),
    ("port", "router interface"),
    ("subnet", "router", "security group"),
    ("network",),
    ("volume", "server group"),
)
# kind -> the kinds whose deletions (of this sweep) must be done first: Neutron refuses to
# remove a router interface that a floating IP is reached through, to delete a subnet or
# network with ports on it (the load balancers' VIP ports go with them), a router with
# interfaces, a security group a port uses (a VIP port carries Octavia's own group, not these;
# anything else in use is retried); Cinder a volume with snapshots. Servers need nothing: Nova
# copes with a deleting server's port gone already. A server group goes after its members.
# Volumes need their servers gone as well (Leftover.servers).
AFTER: dict[str, tuple[str, ...]] = {
    "router interface": ("floating IP",),
    "subnet": ("load balancer", "port", "router interface"),
    "router": ("router interface", "floating IP"),
    "security group": ("port",),
    "network": ("load balancer", "port", "router interface", "subnet"),
    "volume": ("snapshot",),
    "server group": ("server",),
}
LIST_PARALLEL = 6
KINDS = tuple(kind for phase in PHASES for kind in phase)
# ports that their owners delete (router interfaces are removed through the router)
_FOREIGN_DEVICE_OWNERS = ("network:", "Octavia", "neutron:")
OCCM_FIP_DESCRIPTION = "Floating IP for Kubernetes external service {service} from cluster {name}"
OCCM_SG_DESCRIPTION = "Security Group for {service} Service LoadBalancer in cluster {name}"


@dataclass(frozen=True)
class ClusterOwner:
    """Whose leftovers: a cluster of a prefix, with the server group names it may have."""

    prefix: str
    cluster: str
    server_groups: frozenset[str] = frozenset()

    @property
    def tags(self) -> list[str]:
        return naming.ownership_tags(self.prefix, self.cluster)

    @property
    def names(self) -> tuple[str, str]:
        return naming.cloud_provider_cluster_names(self.prefix, self.cluster)


@dataclass(frozen=True)
class Leftover:
    kind: str
    id: str
    name: str
    proof: str
    parent: str = ""  # the router of a router interface
    # who made it: "capo", "occm" or "csi" (`kaas cluster delete` lets OCCM and CSI go first)
    source: str = "capo"
    # a volume's servers (attached to), which must be gone first; None: not known, all of them
    servers: frozenset[str] | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.name or self.id} ({self.id})"


@dataclass(frozen=True)
class Suspect:
    """Looks like the cluster's but cannot be proven to be: listed, never deleted."""

    kind: str
    id: str
    name: str
    reason: str


@dataclass
class Inventory:
    """One listing of each resource type in the project (what a sweep classifies)."""

    networks: list[Any] = field(default_factory=list)
    subnets: list[Any] = field(default_factory=list)
    routers: list[Any] = field(default_factory=list)
    ports: list[Any] = field(default_factory=list)
    security_groups: list[Any] = field(default_factory=list)
    floating_ips: list[Any] = field(default_factory=list)
    load_balancers: list[Any] = field(default_factory=list)
    servers: list[Any] = field(default_factory=list)
    volumes: list[Any] = field(default_factory=list)
    snapshots: list[Any] = field(default_factory=list)
    server_groups: list[Any] = field(default_factory=list)


# kind -> the field of Inventory that holds its listing (router interfaces are in `ports`)
FIELDS = {
    "network": "networks",
    "subnet": "subnets",
    "router": "routers",
    "port": "ports",
    "security group": "security_groups",
    "floating IP": "floating_ips",
    "load balancer": "load_balancers",
    "server": "servers",
    "volume": "volumes",
    "snapshot": "snapshots",
    "server group": "server_groups",
}


_SERVICES = {
    "load balancer": "load-balancer",
    "server": "compute",
    "server group": "compute",
    "volume": "block-storage",
    "snapshot": "block-storage",
}
_SERVICES.update({kind: "network" for kind in FIELDS if kind not in _SERVICES})


def list_kind(conn: Connection, kind: str) -> list[Any]:
    """Every resource of `kind` in the project: one list call (Neutron lists only the project's
    when asked; Nova, Cinder and Octavia list the token's project anyway)."""
    net, project = conn.network, conn.current_project_id
    listing: dict[str, Callable[[], Iterable[Any]]] = {
        "network": lambda: net.networks(project_id=project),
        "subnet": lambda: net.subnets(project_id=project),
        "router": lambda: net.routers(project_id=project),
        "port": lambda: net.ports(project_id=project),
        "router interface": lambda: net.ports(
            project_id=project, device_owner="network:router_interface"
        ),
        "security group": lambda: net.security_groups(project_id=project),
        "floating IP": lambda: net.ips(project_id=project),
        "load balancer": lambda: conn.load_balancer.load_balancers(project_id=project),
        "server": conn.compute.servers,
        "volume": conn.block_storage.volumes,
        "snapshot": conn.block_storage.snapshots,
        "server group": conn.compute.server_groups,
    }
    return list(listing[kind]())


def read_inventory(
    conn: Connection, with_volumes: bool = True, listed: Mapping[str, list[Any]] | None = None
) -> Inventory:
    """Everything of the project, one list call per type, the types in `listed` (kind ->
    resources, listed a moment ago) excepted: a sweep's verification reuses the listings that
    showed its asynchronous deletions done. The lists are made side by side."""
    listed = listed or {}
    kinds = [k for k in FIELDS if with_volumes or k not in ("volume", "snapshot")]
    if not conn.current_project_id:  # authenticates, before the threads need the token
        raise CloudError("the connection has no project")
    missing = [kind for kind in kinds if kind not in listed]
    # a service's first call discovers its version (two at once would both do it); its other
    # lists follow as soon as that one is back, not after the slowest service's first
    by_service: dict[str, list[str]] = {}
    for kind in missing:
        by_service.setdefault(_SERVICES[kind], []).append(kind)
    fresh: dict[str, list[Any]] = {}
    with ThreadPoolExecutor(max_workers=LIST_PARALLEL) as pool:
        firsts = {pool.submit(list_kind, conn, kinds[0]): kinds for kinds in by_service.values()}
        rest: dict[str, Future[list[Any]]] = {}
        for job in as_completed(firsts):
            first, *others = firsts[job]
            fresh[first] = job.result()
            rest.update({kind: pool.submit(list_kind, conn, kind) for kind in others})
        fresh.update({kind: job.result() for kind, job in rest.items()})
    return Inventory(
        **{FIELDS[kind]: listed[kind] if kind in listed else fresh[kind] for kind in kinds}
    )


def _tagged(resources: Iterable[Any], tags: Sequence[str]) -> list[Any]:
    return [r for r in resources if has_tags(r.tags, tags)]


def _item(kind: str, resource: Any, proof: str, source: str) -> Leftover:
    return Leftover(kind, str(resource.id), str(resource.name or ""), proof, source=source)


def _foreign_cluster_network(network: Any, owner: ClusterOwner) -> bool:
    """Tagged as the tool's for another prefix or cluster."""
    tags = set(network.tags or ())
    return f"managed-by={naming.MANAGED_BY}" in tags and not set(owner.tags) <= tags


def _occm_service(name: str, names: tuple[str, str]) -> tuple[str, str] | None:
    """(cluster name form, rest) when `name` is OCCM's for one of `names`."""
    for form in names:
        stem = f"{naming.OCCM_LOAD_BALANCER_PREFIX}{form}_"
        if name.startswith(stem) and len(name) > len(stem):
            return form, name[len(stem) :]
    return None


def _described(description: str, template: str, names: tuple[str, str]) -> str | None:
    """The cluster name form that `description` (OCCM's `template`) was made with."""
    head, tail = template.split("{service}")
    for form in names:
        ending = tail.format(name=form)
        wrapped = description.startswith(head) and description.endswith(ending)
        if wrapped and len(description) > len(head) + len(ending):
            return form
    return None


@dataclass
class Classified:
    leftovers: list[Leftover] = field(default_factory=list)
    suspects: list[Suspect] = field(default_factory=list)

    def ids(self, kind: str) -> set[str]:
        return {item.id for item in self.leftovers if item.kind == kind}

    def add(self, kind: str, resources: Iterable[Any], proof: str, source: str = "capo") -> None:
        known = self.ids(kind)
        for resource in resources:
            if str(resource.id) not in known:
                item = _item(kind, resource, proof, source)
                if kind == "volume":  # the servers it is attached to go first
                    servers = {str(a.get("server_id")) for a in resource.attachments or ()}
                    item = replace(item, servers=frozenset(servers))
                self.leftovers.append(item)
                known.add(str(resource.id))

    def suspect(self, kind: str, resource: Any, reason: str) -> None:
        self.suspects.append(Suspect(kind, str(resource.id), str(resource.name or ""), reason))


def classify(inventory: Inventory, owner: ClusterOwner, keep_volumes: bool) -> Classified:
    """The owner's leftovers in `inventory` (and what only looks like theirs)."""
    found = Classified()
    tags = owner.tags
    new_form, legacy = owner.names
    for kind, resources in (
        ("network", inventory.networks),
        ("subnet", inventory.subnets),
        ("router", inventory.routers),
        ("security group", inventory.security_groups),
        ("floating IP", inventory.floating_ips),
        ("load balancer", inventory.load_balancers),
        ("server", inventory.servers),
    ):
        found.add(kind, _tagged(resources, tags), "tags")
    networks = found.ids("network")
    by_network = {str(n.id): n for n in inventory.networks}

    for balancer in inventory.load_balancers:
        match = _occm_service(str(balancer.name or ""), owner.names)
        if match is None or str(balancer.id) in found.ids("load balancer"):
            continue
        vip_network = str(balancer.vip_network_id or "")
        network = by_network.get(vip_network)
        if network is not None and _foreign_cluster_network(network, owner):
            found.suspect("load balancer", balancer, "VIP on another cluster's network")
        elif vip_network in networks or match[0] == new_form:
            found.add("load balancer", [balancer], f"OCCM name for cluster {match[0]}", "occm")
        else:
            found.suspect("load balancer", balancer, f"OCCM name with bare {legacy!r}")
    _floating_ips(inventory, owner, found)
    _ports(inventory, owner, found)
    _security_groups(inventory, owner, found)
    _volumes(inventory, owner, keep_volumes, found)
    _server_groups(inventory, owner, found)
    return found


def _floating_ips(inventory: Inventory, owner: ClusterOwner, found: Classified) -> None:
    balancers = found.ids("load balancer")
    vip_ports = {str(b.vip_port_id) for b in inventory.load_balancers if str(b.id) in balancers}
    new_form = owner.names[0]
    for ip in inventory.floating_ips:
        form = _described(str(ip.description or ""), OCCM_FIP_DESCRIPTION, owner.names)
        if str(ip.port_id or "") in vip_ports:
            found.add("floating IP", [ip], "on the VIP of an owned load balancer", "occm")
        elif form == new_form and not ip.port_id:
            found.add("floating IP", [ip], f"OCCM description for cluster {form}", "occm")
        elif form is not None and str(ip.id) not in found.ids("floating IP"):
            found.suspect("floating IP", ip, f"OCCM description for cluster {form}")


def _ports(inventory: Inventory, owner: ClusterOwner, found: Classified) -> None:
    networks, routers = found.ids("network"), found.ids("router")
    for port in inventory.ports:
        device_owner = str(port.device_owner or "")
        if device_owner.startswith("network:router_interface"):
            if str(port.device_id) in routers:
                subnets = ",".join(str(ip["subnet_id"]) for ip in port.fixed_ips or ())
                found.leftovers.append(
                    Leftover(
                        "router interface", str(port.id), subnets, "own router", port.device_id
                    )
                )
        elif device_owner.startswith(_FOREIGN_DEVICE_OWNERS):
            continue
        elif has_tags(port.tags, owner.tags):
            found.add("port", [port], "tags")
        elif str(port.network_id) in networks:
            found.add("port", [port], f"on the cluster network ({port.status})")


def _security_groups(inventory: Inventory, owner: ClusterOwner, found: Classified) -> None:
    used = {
        sg
        for p in inventory.ports
        if str(p.id) in found.ids("port")
        for sg in p.security_group_ids or ()
    }
    new_form = owner.names[0]
    for group in inventory.security_groups:
        form = _described(str(group.description or ""), OCCM_SG_DESCRIPTION, owner.names)
        if form is None or str(group.id) in found.ids("security group"):
            continue
        if form == new_form or str(group.id) in used:
            found.add("security group", [group], f"OCCM description for cluster {form}", "occm")
        else:
            found.suspect("security group", group, f"OCCM description with bare {form!r}")


def _volumes(
    inventory: Inventory, owner: ClusterOwner, keep_volumes: bool, found: Classified
) -> None:
    servers = found.ids("server")
    new_form = owner.names[0]
    for volume in inventory.volumes:
        attached = {str(a.get("server_id")) for a in volume.attachments or ()}
        form = (volume.metadata or {}).get(naming.CSI_CLUSTER_METADATA)
        csi = form in owner.names
        if csi and keep_volumes:
            continue
        if csi and (form == new_form or attached & servers):
            found.add("volume", [volume], f"CSI metadata cluster={form}", "csi")
        elif csi:
            found.suspect("volume", volume, f"CSI metadata with bare cluster={form!r}")
        elif attached & servers and not form:
            found.add("volume", [volume], "attached to an owned server")
    volumes = found.ids("volume")
    for snapshot in inventory.snapshots:
        form = (snapshot.metadata or {}).get(naming.CSI_CLUSTER_METADATA)
        if str(snapshot.volume_id) in volumes:
            found.add("snapshot", [snapshot], "of an owned volume", "csi")
        elif form == new_form and not keep_volumes:
            found.add("snapshot", [snapshot], f"CSI metadata cluster={form}", "csi")


def _server_groups(inventory: Inventory, owner: ClusterOwner, found: Classified) -> None:
    servers = found.ids("server")
    for group in inventory.server_groups:
        if str(group.name) not in owner.server_groups:
            continue
        members = {str(m) for m in group.member_ids or ()}
        if members <= servers:
            found.add("server group", [group], "name and members", "nova")
        else:
            found.suspect("server group", group, "has members that are not the cluster's")
