"""The local cloud does what CAPO v0.14.7 needs: its requests replayed, in its order.

With the application credential CAPO is given: the cluster's network, subnet, router, security
groups and API load balancer with a floating IP on the VIP port; a control plane server booted
from a volume made from the image, on a port, with tags and user-data; its pool member; then
everything deleted in CAPO's order, leaving nothing. The load balancer's VIP port must be a real
Neutron port (the local cloud's Octavia network driver), and floating IPs must go ACTIVE/DOWN
without an L3 agent (the local cloud's L3 plugin): CAPO waits for both.
"""

from __future__ import annotations

from typing import Any

from openstack.connection import Connection

from tests.localcloud.capo_api import Api, query
from tests.localcloud.capo_cluster import (
    WAIT_S,
    ClusterSpec,
    reconcile_cluster,
    reconcile_security_groups,
    wait_lb_active,
)
from tests.localcloud.capo_machine import (
    MachineSpec,
    create_server,
    delete_member,
    delete_server,
    reconcile_member,
)
from tests.localcloud.capo_teardown import delete_cluster
from tests.support.projects import LOCALCLOUD
from tests.support.waits import eventually

pytestmark = LOCALCLOUD


def _get(api: Api, path: str) -> Any:
    return api.network("GET", path)


def _project_left(conn: Connection) -> dict[str, list[str]]:
    """What the project still holds, by kind (its default security group excepted)."""
    project = conn.current_project_id
    network = conn.network
    left = {
        "servers": [s.id for s in conn.compute.servers()],
        "volumes": [v.id for v in conn.block_storage.volumes()],
        "load balancers": [b.id for b in conn.load_balancer.load_balancers(project_id=project)],
        "floating IPs": [i.id for i in network.ips(project_id=project)],
        "routers": [r.id for r in network.routers(project_id=project)],
        "ports": [p.id for p in network.ports(project_id=project)],
        "networks": [n.id for n in network.networks(project_id=project)],
        "security groups": [
            g.id for g in network.security_groups(project_id=project) if g.name != "default"
        ],
    }
    return {kind: ids for kind, ids in left.items() if ids}


def test_capo_cluster_and_machine_lifecycle(app: Connection) -> None:
    api, spec, machine = Api(app), ClusterSpec(), MachineSpec()
    status = reconcile_cluster(api, spec)

    # a second reconcile of the groups finds Neutron's rules matching CAPO's: nothing to do
    assert reconcile_security_groups(api, spec, status) == 0
    cp_rules = _get(api, f"/security-groups/{status.groups['controlplane']}")
    remote = {r["remote_group_id"] for r in cp_rules["security_group"]["security_group_rules"]}
    assert {status.groups["controlplane"], status.groups["worker"]} <= remote

    lb = status.lb
    vip_port = _get(api, f"/ports/{lb['vip_port_id']}")["port"]
    assert [ip["ip_address"] for ip in vip_port["fixed_ips"]] == [lb["vip_address"]]
    assert vip_port["fixed_ips"][0]["subnet_id"] == status.subnet_id
    assert (vip_port["device_owner"], vip_port["device_id"]) == ("Octavia", f"lb-{lb['id']}")
    assert lb["vip_network_id"] == status.network_id
    fip = _get(api, query("/floatingips", floating_ip_address=status.floating_ip))
    (associated,) = fip["floatingips"]
    assert (associated["port_id"], associated["status"]) == (vip_port["id"], "ACTIVE")
    assert associated["fixed_ip_address"] == lb["vip_address"]
    assert sorted(associated["tags"]) == sorted(spec.tags)

    assert status.allowed_cidrs == sorted(
        {"192.0.2.0/24", spec.cidr, *(f"{ip}/32" for ip in status.router_ips)}
    )
    listener = api.lb("GET", f"/lbaas/listeners/{status.listener['id']}")["listener"]
    assert sorted(listener["allowed_cidrs"]) == status.allowed_cidrs
    monitor = api.lb("GET", query("/lbaas/healthmonitors", pool_id=status.pool_id))
    (health,) = monitor["healthmonitors"]
    assert (health["type"], health["max_retries_down"]) == ("TCP", 3)
    for kind, item in (("listeners", listener), ("healthmonitors", health)):
        assert item["provisioning_status"] == "ACTIVE", kind
    pool = api.lb("GET", f"/lbaas/pools/{status.pool_id}")["pool"]
    assert pool["provisioning_status"] == "ACTIVE"
    assert status.availability_zones == ["nova"]

    server_status = create_server(api, spec, status, machine)
    server = server_status.server
    assert server is not None and server["status"] == "ACTIVE", server
    volume = api.volume("GET", f"/volumes/{server_status.volume_id}")["volume"]
    assert volume["bootable"] == "true" and volume["size"] == machine.root_volume_gib
    assert [a["server_id"] for a in volume["attachments"]] == [server["id"]]
    assert [v["id"] for v in server["os-extended-volumes:volumes_attached"]] == [volume["id"]]
    tags = api.compute("GET", f"/servers/{server['id']}/tags", microversion="2.53")["tags"]
    assert sorted(tags) == sorted(spec.tags)
    port = _get(api, f"/ports/{server_status.port_id}")["port"]
    assert port["device_id"] == server["id"]
    assert server_status.address == port["fixed_ips"][0]["ip_address"]

    member_id = reconcile_member(api, spec, status, machine, server_status.address)
    member = api.lb("GET", f"/lbaas/pools/{status.pool_id}/members/{member_id}")["member"]
    assert (member["address"], member["protocol_port"]) == (server_status.address, 6443)

    delete_member(api, spec, machine)
    delete_server(api, server_status)
    eventually(
        lambda: app.block_storage.find_volume(server_status.volume_id),
        lambda found: found is None,
        WAIT_S,
        "the root volume to go with its server (delete_on_termination)",
    )
    delete_cluster(api, spec, status)
    assert app.network.find_port(vip_port["id"]) is None
    assert _project_left(app) == {}


def test_cascade_delete_removes_the_vip_port_and_downs_its_floating_ip(app: Connection) -> None:
    """A cascade delete without disassociating first: the VIP port goes, the floating IP is
    left DOWN and unassociated, and CAPO's deletes that follow succeed."""
    api, spec = Api(app), ClusterSpec(name="capo-c", cidr="10.7.0.0/24")
    status = reconcile_cluster(api, spec)
    lb, vip_port_id = status.lb, status.lb["vip_port_id"]
    octavia_ports = _get(api, query("/ports", network_id=status.network_id, device_owner="Octavia"))
    assert [p["id"] for p in octavia_ports["ports"]] == [vip_port_id], "one VIP port, not two"

    api.lb("DELETE", f"/lbaas/loadbalancers/{lb['id']}?cascade=true")
    eventually(
        lambda: (
            api.conn.load_balancer.request(
                f"/lbaas/loadbalancers/{lb['id']}", "GET", raise_exc=False
            ).status_code
        ),
        lambda code: code == 404,
        WAIT_S,
        "the load balancer to be deleted",
    )
    assert app.network.find_port(vip_port_id) is None
    (fip,) = _get(api, query("/floatingips", floating_ip_address=status.floating_ip))["floatingips"]
    assert (fip["port_id"], fip["status"]) == (None, "DOWN")
    delete_cluster(api, spec, status)
    # CAPO finds the floating IP through the load balancer's VIP port, gone here: it stays
    assert list(_project_left(app)) == ["floating IPs"]
    api.network("DELETE", f"/floatingips/{fip['id']}")
    assert _project_left(app) == {}


def test_fixed_vip_address_and_a_taken_one(app: Connection) -> None:
    """spec.apiServerFixedIP: the VIP port gets that address; a taken one is refused (409)."""
    api, spec = Api(app), ClusterSpec(name="capo-f", cidr="10.8.0.0/24")
    status = reconcile_cluster(api, spec)
    taken = status.lb["vip_address"]
    body = {"vip_subnet_id": status.subnet_id, "vip_address": "10.8.0.200", "name": "fixed"}
    fixed = api.lb("POST", "/lbaas/loadbalancers", {"loadbalancer": body})["loadbalancer"]
    fixed = wait_lb_active(api, fixed["id"])
    port = _get(api, f"/ports/{fixed['vip_port_id']}")["port"]
    assert [ip["ip_address"] for ip in port["fixed_ips"]] == ["10.8.0.200"]
    assert port["network_id"] == status.network_id
    clash = {"vip_subnet_id": status.subnet_id, "vip_address": taken, "name": "clash"}
    api.lb("POST", "/lbaas/loadbalancers", {"loadbalancer": clash}, expect=(409,))
    api.lb("DELETE", f"/lbaas/loadbalancers/{fixed['id']}?cascade=true")
    eventually(
        lambda: app.network.find_port(port["id"]),
        lambda found: found is None,
        WAIT_S,
        "the fixed VIP's port to be deleted",
    )
    delete_cluster(api, spec, status)
    assert _project_left(app) == {}
