"""CAPO v0.14.7's control plane machine: OpenStackServer create and delete, and its LB member.

The server boots from a root volume made from the image (rootVolume.sizeGiB > 0) on a port CAPO
creates first, with the cluster's tags and the bootstrap user-data, in the cluster's first
availability zone (the machine's failure domain).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from tests.localcloud.capo_api import NOVA_TAGGING, Api, Json, microversion_tuple, query
from tests.localcloud.capo_cluster import WAIT_S, ClusterSpec, ClusterStatus, wait_lb_active
from tests.support.waits import eventually

USER_DATA = b"#cloud-config\nruncmd: [kubeadm init]\n"


@dataclass(frozen=True)
class MachineSpec:
    name: str = "capo-t-control-plane-x7k2p"
    flavor: str = "SCS-2V-4"  # diskless: the server must boot from the volume
    image: str = "Ubuntu 24.04"
    root_volume_gib: int = 10
    config_drive: bool = True


@dataclass
class MachineStatus:
    port_id: str = ""
    volume_id: str = ""
    server: Json | None = None
    address: str = ""


def check_nova_microversions(api: Api) -> None:
    """clients.NewComputeClient and WithMicroversion(NovaTagging)."""
    version = api.catalog_root("compute")["version"]
    low, high = microversion_tuple(version["min_version"]), microversion_tuple(version["version"])
    for needed in ("2.38", NOVA_TAGGING):
        assert low <= microversion_tuple(needed) <= high, f"Nova {low}..{high} lacks {needed}"


def ensure_port(api: Api, spec: ClusterSpec, status: ClusterStatus, machine: MachineSpec) -> str:
    """networking.EnsurePort for the default port (ConstructPorts without port specs)."""
    name = f"{machine.name}-0"
    listed = api.network("GET", query("/ports", name=name, network_id=status.network_id))
    port = api.one_or_none(listed, "ports")
    if port is None:
        body = {
            "port": {
                "name": name,
                "network_id": status.network_id,
                "description": spec.description,
                "fixed_ips": [{"subnet_id": status.subnet_id}],
                "security_groups": [status.groups["controlplane"]],
            }
        }
        port = api.network("POST", "/ports", body)["port"]
    if sorted(set(port["tags"])) != sorted(set(spec.tags)):
        api.network("PUT", f"/ports/{port['id']}/tags", {"tags": sorted(set(spec.tags))})
    port_id: str = port["id"]
    return port_id


def root_volume(api: Api, machine: MachineSpec, image_id: str, project_id: str) -> str:
    """compute.getOrCreateVolume for the root device, then waitForVolume."""
    name = f"{machine.name}-root"
    listed = api.volume("GET", query("/volumes/detail", name=name, project_id=project_id))
    volume = api.one_or_none(listed, "volumes")
    if volume is None:
        body = {
            "volume": {
                "size": machine.root_volume_gib,
                "name": name,
                "description": f"Root volume for {machine.name}",
                "imageRef": image_id,
            }
        }
        volume = api.volume("POST", "/volumes", body)["volume"]
    eventually(
        lambda: api.volume("GET", f"/volumes/{volume['id']}")["volume"]["status"],
        lambda current: current in ("available", "error"),
        WAIT_S,
        f"volume {volume['id']} available",
    )
    volume_id: str = volume["id"]
    return volume_id


def create_server(
    api: Api, spec: ClusterSpec, status: ClusterStatus, machine: MachineSpec
) -> MachineStatus:
    """OpenStackServer reconcileNormal: resolve, port, root volume, server, wait ACTIVE."""
    check_nova_microversions(api)
    images = api.image("GET", query("/images", name=machine.image))["images"]
    assert len(images) == 1, f"CAPO wants exactly one image named {machine.image}"
    flavors = api.compute("GET", "/flavors/detail")["flavors"]
    flavor_id = next(f["id"] for f in flavors if f["name"] == machine.flavor)
    result = MachineStatus(port_id=ensure_port(api, spec, status, machine))
    listed = api.compute("GET", query("/servers/detail", name=f"^{machine.name}$"))["servers"]
    assert not listed, "no server of that name may exist yet"
    project_id = str(api.conn.current_project_id)
    result.volume_id = root_volume(api, machine, images[0]["id"], project_id)
    body = {
        "server": {
            "name": machine.name,
            "imageRef": "",  # booting from the volume
            "flavorRef": flavor_id,
            "availability_zone": status.availability_zones[0],
            "networks": [{"port": result.port_id}],
            "user_data": base64.b64encode(USER_DATA).decode(),
            "tags": list(spec.tags),
            "config_drive": machine.config_drive,
            "block_device_mapping_v2": [
                {
                    "source_type": "volume",
                    "destination_type": "volume",
                    "uuid": result.volume_id,
                    "boot_index": 0,
                    "delete_on_termination": True,
                }
            ],
        }
    }
    created = api.compute("POST", "/servers", body, microversion=NOVA_TAGGING)["server"]
    result.server = eventually(
        lambda: api.compute("GET", f"/servers/{created['id']}")["server"],
        lambda server: server["status"] in ("ACTIVE", "ERROR"),
        WAIT_S,
        f"server {created['id']} ACTIVE",
    )
    # InstanceStatus.NetworkStatus: the address on the cluster network, by network name
    addresses = (result.server or {}).get("addresses", {}).get(spec.network_name, [])
    result.address = next((a["addr"] for a in addresses if a["version"] == 4), "")
    return result


def wait_member_active(api: Api, pool_id: str, member_id: str) -> None:
    eventually(
        lambda: api.lb("GET", f"/lbaas/pools/{pool_id}/members/{member_id}")["member"],
        lambda member: member["provisioning_status"] == "ACTIVE",
        WAIT_S,
        f"pool member {member_id} ACTIVE",
    )


def member_name(spec: ClusterSpec, machine: MachineSpec) -> str:
    return f"{spec.lb_name}-{spec.api_port}-{machine.name}"


def find_member(api: Api, spec: ClusterSpec, machine: MachineSpec) -> tuple[str, Json | None]:
    pools = api.lb("GET", query("/lbaas/pools", name=f"{spec.lb_name}-{spec.api_port}"))
    pool = api.one_or_none(pools, "pools")
    assert pool is not None, "load balancer pool does not exist yet"
    path = query(f"/lbaas/pools/{pool['id']}/members", name=member_name(spec, machine))
    return pool["id"], api.one_or_none(api.lb("GET", path), "members")


def reconcile_member(
    api: Api, spec: ClusterSpec, status: ClusterStatus, machine: MachineSpec, ip: str
) -> str:
    """loadbalancer.ReconcileLoadBalancerMember (the LB network is the cluster network)."""
    lb_id = status.lb["id"]
    pool_id, member = find_member(api, spec, machine)
    if member is not None and member["address"] == ip:
        member_id: str = member["id"]
        return member_id
    wait_lb_active(api, lb_id)
    body = {
        "name": member_name(spec, machine),
        "protocol_port": spec.api_port,
        "address": ip,
        "tags": list(spec.tags),
    }
    created = api.lb("POST", f"/lbaas/pools/{pool_id}/members", {"member": body})["member"]
    wait_member_active(api, pool_id, created["id"])
    wait_lb_active(api, lb_id)
    created_id: str = created["id"]
    return created_id


def delete_member(api: Api, spec: ClusterSpec, machine: MachineSpec) -> None:
    """loadbalancer.DeleteLoadBalancerMember."""
    lbs = api.lb("GET", query("/lbaas/loadbalancers", name=spec.lb_name))
    lb = api.one_or_none(lbs, "loadbalancers")
    if lb is None:
        return
    pool_id, member = find_member(api, spec, machine)
    if member is not None:
        wait_lb_active(api, lb["id"])
        api.lb("DELETE", f"/lbaas/pools/{pool_id}/members/{member['id']}")
        wait_lb_active(api, lb["id"])


def delete_server(api: Api, machine: MachineStatus) -> None:
    """OpenStackServer reconcileDelete: the server (its root volume goes with it), its port."""
    assert machine.server is not None
    server_id = machine.server["id"]
    api.compute("DELETE", f"/servers/{server_id}", expect=(204, 404))
    eventually(
        lambda: (
            api.conn.compute.request(
                f"/servers/{server_id}", "GET", microversion="2.38", raise_exc=False
            ).status_code
        ),
        lambda code: code == 404,
        WAIT_S,
        f"server {server_id} gone",
    )
    extensions = api.network("GET", "/extensions")["extensions"]
    if any(ext["alias"] == "trunk" for ext in extensions):
        api.network("GET", query("/trunks", port_id=machine.port_id))
    api.network("DELETE", f"/ports/{machine.port_id}", expect=(204, 404))
