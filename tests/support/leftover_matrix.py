"""Leftovers of workload clusters, planted in one project as CAPO, OCCM and Cinder CSI leave them.

CAPO's part carries the tags the renderer gives it (`ownership_tags(prefix, cluster)`) and CAPO's
names; OCCM's load balancer is named `kube_service_<name>_<namespace>_<service>` with a listener,
pool, member, a floating IP on its VIP and a security group described as OCCM describes them;
CSI's volumes carry `cinder.csi.openstack.org/cluster`. `plant_cluster` returns, per type, the
IDs a sweep of that cluster must delete; `plant_lookalikes` what nobody's sweep may touch;
`project_ids` what the project holds, `minus` and `merged` to compare it with what was planted.
Used by tests/openstack/ (sweep, purge, cleanup, delete) and bench/sweep.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.localcloud.resources import IMAGE_NAME
from scs_kaas.openstack.leftovers import (
    OCCM_FIP_DESCRIPTION,
    OCCM_SG_DESCRIPTION,
    read_inventory,
)
from scs_kaas.render.server_groups import CONTROL_PLANE_ROLE

FLAVOR = "SCS-1V-4-10"
WAIT = 180
INGRESS = ("ingress-nginx", "ingress-nginx-controller")
_SUBNETS: Iterator[int] = itertools.count(1)


@dataclass
class Planted:
    """What one cluster left: by type, the IDs its sweep must delete."""

    prefix: str
    cluster: str
    ids: dict[str, set[str]] = field(default_factory=dict)
    subnet_id: str = ""
    server_id: str = ""
    member_address: str = ""

    def add(self, kind: str, resource_id: object) -> None:
        self.ids.setdefault(kind, set()).add(str(resource_id))

    def counts(self) -> dict[str, int]:
        return {kind: len(ids) for kind, ids in sorted(self.ids.items())}


def raise_quotas(admin: Connection, project_id: str, clusters: int) -> None:
    """Room for `clusters` clusters' leftovers (the defaults allow some 10 routers, groups,
    servers and volumes)."""
    room = 10 * clusters + 20
    admin.network.update_quota(
        project_id,
        networks=room,
        subnets=room,
        ports=10 * room,
        routers=room,
        floating_ips=room,
        security_groups=room,
        security_group_rules=20 * room,
    )
    admin.compute.update_quota_set(
        project_id, instances=room, cores=4 * room, ram=16384 * room, server_groups=room
    )
    admin.block_storage.update_quota_set(
        project_id, volumes=room, snapshots=room, gigabytes=10 * room
    )


def _active(conn: Connection, balancer_id: str) -> None:
    conn.load_balancer.wait_for_load_balancer(
        balancer_id, status="ACTIVE", failures=["ERROR"], interval=1, wait=WAIT
    )


def _cidr() -> str:
    n = next(_SUBNETS)
    return f"10.{100 + n // 250}.{n % 250}.0/24"


def occm_balancer(
    conn: Connection,
    subnet_id: str,
    form: str,
    external_id: str,
    member_address: str,
    service: tuple[str, str] = INGRESS,
    floating: bool = True,
) -> tuple[str, str | None, str]:
    """An OCCM-style load balancer for `service` of cluster name `form`: listener, pool and
    member, a floating IP on its VIP and a security group; (balancer, floating IP, group) IDs."""
    namespace, name = service
    lb_name = f"{naming.OCCM_LOAD_BALANCER_PREFIX}{form}_{namespace}_{name}"
    lbs = conn.load_balancer
    balancer = lbs.create_load_balancer(
        name=lb_name,
        vip_subnet_id=subnet_id,
        description=f"Kubernetes external service {namespace}/{name} from cluster {form}",
    )
    _active(conn, balancer.id)
    listener = lbs.create_listener(
        name=f"listener_0_{lb_name}", loadbalancer_id=balancer.id, protocol="TCP", protocol_port=80
    )
    _active(conn, balancer.id)
    pool = lbs.create_pool(
        name=f"pool_0_{lb_name}",
        listener_id=listener.id,
        protocol="TCP",
        lb_algorithm="ROUND_ROBIN",
    )
    _active(conn, balancer.id)
    lbs.create_member(pool, address=member_address, protocol_port=30080, subnet_id=subnet_id)
    _active(conn, balancer.id)
    vip_port = lbs.get_load_balancer(balancer.id).vip_port_id
    ip = None
    if floating:  # the network needs a router to the external one
        ip = conn.network.create_ip(
            floating_network_id=external_id,
            port_id=vip_port,
            description=OCCM_FIP_DESCRIPTION.format(service=f"{namespace}/{name}", name=form),
        )
    group = conn.network.create_security_group(
        name=f"lb-sg-{balancer.id}-{namespace}-{name}",
        description=OCCM_SG_DESCRIPTION.format(service=f"{namespace}/{name}", name=form),
    )
    return str(balancer.id), str(ip.id) if ip else None, str(group.id)


def plant_cluster(
    conn: Connection,
    prefix: str,
    cluster: str,
    external_id: str,
    legacy_ingress: bool = False,
) -> Planted:
    """A cluster whose Cluster object is gone but whose cloud resources are all still there."""
    planted = Planted(prefix, cluster)
    tags = naming.ownership_tags(prefix, cluster)
    stem = naming.capo_network(cluster, cluster)
    net = conn.network
    network = net.create_network(name=stem)
    net.set_tags(network, tags)
    subnet = net.create_subnet(network_id=network.id, name=stem, ip_version=4, cidr=_cidr())
    net.set_tags(subnet, tags)
    router = net.create_router(name=stem, external_gateway_info={"network_id": external_id})
    net.set_tags(router, tags)
    interface = net.add_interface_to_router(router, subnet=subnet.id)
    group = net.create_security_group(name=f"k8s-cluster-{cluster}-{cluster}-secgroup-controlplane")
    net.set_tags(group, tags)
    port = net.create_port(
        network_id=network.id, name=f"{cluster}-control-plane-x1", security_group_ids=[group.id]
    )
    net.set_tags(port, tags)
    # a port of a boot that failed: no tags (CAPO tags after creating), DOWN, no device
    down = net.create_port(network_id=network.id, name=f"{cluster}-control-plane-x2-0")
    for kind, item in (("network", network), ("subnet", subnet), ("router", router)):
        planted.add(kind, item.id)
    planted.add("router interface", interface["port_id"])
    planted.add("security group", group.id)
    planted.add("port", port.id)
    planted.add("port", down.id)

    server_group = conn.compute.create_server_group(
        name=naming.server_group(prefix, cluster, CONTROL_PLANE_ROLE), policy="soft-anti-affinity"
    )
    planted.add("server group", server_group.id)
    image = conn.image.find_image(IMAGE_NAME)
    flavor = conn.compute.find_flavor(FLAVOR)
    assert image is not None and flavor is not None
    server = conn.compute.create_server(
        name=f"{cluster}-control-plane-x1",
        flavor_id=flavor.id,
        image_id=image.id,
        networks=[{"port": port.id}],
        tags=tags,
        scheduler_hints={"group": server_group.id},
    )
    planted.add("server", server.id)
    planted.subnet_id, planted.server_id = str(subnet.id), str(server.id)

    api = conn.load_balancer.create_load_balancer(
        name=f"{stem}-kubeapi", vip_subnet_id=subnet.id, tags=tags
    )
    _active(conn, api.id)
    planted.add("load balancer", api.id)
    address = str(net.get_port(port.id).fixed_ips[0]["ip_address"])
    planted.member_address = address
    form = cluster if legacy_ingress else naming.cloud_provider_cluster_names(prefix, cluster)[0]
    balancer, ip, lb_group = occm_balancer(conn, subnet.id, form, external_id, address)
    planted.add("load balancer", balancer)
    planted.add("floating IP", ip)
    planted.add("security group", lb_group)

    storage = conn.block_storage
    data = storage.create_volume(
        name=f"pvc-{cluster}-data", size=1, metadata={naming.CSI_CLUSTER_METADATA: form}
    )
    storage.wait_for_status(data, status="available", failures=["error"], wait=WAIT)
    snapshot = storage.create_snapshot(
        volume_id=data.id, name=f"snapshot-{cluster}", metadata={naming.CSI_CLUSTER_METADATA: form}
    )
    planted.add("volume", data.id)
    planted.add("snapshot", snapshot.id)
    conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], wait=WAIT)
    storage.wait_for_status(snapshot, status="available", failures=["error"], wait=WAIT)
    return planted


def project_ids(conn: Connection) -> dict[str, set[str]]:
    """Every resource of the project by sweep kind (router interfaces: their ports)."""
    inventory = read_inventory(conn)
    interfaces = {
        str(p.id)
        for p in inventory.ports
        if str(p.device_owner).startswith("network:router_interface")
    }
    plain_ports = {
        str(p.id) for p in inventory.ports if not str(p.device_owner).startswith("network:")
    }
    plain_ports -= {str(p.id) for p in inventory.ports if p.device_owner == "Octavia"}
    listed = {
        "network": inventory.networks,
        "subnet": inventory.subnets,
        "router": inventory.routers,
        "security group": [g for g in inventory.security_groups if g.name != "default"],
        "floating IP": inventory.floating_ips,
        "load balancer": inventory.load_balancers,
        "server": inventory.servers,
        "volume": inventory.volumes,
        "snapshot": inventory.snapshots,
        "server group": inventory.server_groups,
    }
    ids = {kind: {str(r.id) for r in resources} for kind, resources in listed.items()}
    return {**ids, "port": plain_ports, "router interface": interfaces}


def minus(before: dict[str, set[str]], gone: Planted) -> dict[str, set[str]]:
    return {kind: ids - gone.ids.get(kind, set()) for kind, ids in before.items()}


def merged(*planted: Planted) -> Planted:
    whole = Planted(planted[0].prefix, planted[0].cluster)
    for part in planted:
        for kind, ids in part.ids.items():
            for resource_id in ids:
                whole.add(kind, resource_id)
    return whole
