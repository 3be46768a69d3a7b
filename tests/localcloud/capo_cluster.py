"""CAPO v0.14.7's OpenStackCluster reconcile and delete, request by request.

Each function names the CAPO function it replays (pkg/cloud/services/...); the order in
`reconcile_cluster` (and capo_teardown's `delete_cluster`) is that of
controllers/openstackcluster_controller.go.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from tests.localcloud.capo_api import OCTAVIA_VIP_ACL, Api, Json, query
from tests.localcloud.capo_rules import desired_rules, differences
from tests.support.waits import eventually

# CAPO's own budgets are minutes; the local cloud must be far quicker
WAIT_S = 120


@dataclass(frozen=True)
class ClusterSpec:
    """The parts of an OpenStackCluster spec the replay uses."""

    name: str = "capo-t"
    namespace: str = "default"
    cidr: str = "10.6.0.0/24"
    dns: tuple[str, ...] = ("9.9.9.9",)
    tags: tuple[str, ...] = ("capo-replay",)
    allowed_cidrs: tuple[str, ...] = ("192.0.2.0/24",)
    api_port: int = 6443

    @property
    def resource_name(self) -> str:  # names.ClusterResourceName
        return f"{self.namespace}-{self.name}"

    @property
    def network_name(self) -> str:  # also the subnet's and the router's name
        return f"k8s-clusterapi-cluster-{self.resource_name}"

    @property
    def lb_name(self) -> str:
        return f"{self.network_name}-kubeapi"

    @property
    def description(self) -> str:  # names.GetDescription
        return f"Created by cluster-api-provider-openstack cluster {self.resource_name}"

    def group_name(self, suffix: str) -> str:
        return f"k8s-cluster-{self.resource_name}-secgroup-{suffix}"


@dataclass
class ClusterStatus:
    external_network_id: str = ""
    network_id: str = ""
    subnet_id: str = ""
    router_id: str = ""
    router_ips: list[str] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # suffix -> id
    lb: Json = field(default_factory=dict)
    floating_ip: str = ""
    allowed_cidrs: list[str] = field(default_factory=list)
    listener: Json = field(default_factory=dict)
    pool_id: str = ""
    availability_zones: list[str] = field(default_factory=list)


def wait_lb_active(api: Api, lb_id: str) -> Json:
    """loadbalancer.waitForLoadBalancerActive."""
    lb: Json = eventually(
        lambda: api.lb("GET", f"/lbaas/loadbalancers/{lb_id}")["loadbalancer"],
        lambda lb: lb["provisioning_status"] == "ACTIVE",
        WAIT_S,
        f"load balancer {lb_id} ACTIVE",
    )
    return lb


def wait_floating_ip(api: Api, fip_id: str, status: str) -> None:
    """networking.waitForFloatingIP."""
    eventually(
        lambda: api.network("GET", f"/floatingips/{fip_id}")["floatingip"]["status"],
        lambda current: current == status,
        WAIT_S,
        f"floating IP {fip_id} {status}",
    )


def reconcile_external_network(api: Api, status: ClusterStatus) -> None:
    found = api.network("GET", query("/networks", **{"router:external": "true"}))["networks"]
    assert len(found) == 1, "CAPO picks the only external network; more would be an error"
    status.external_network_id = found[0]["id"]


def reconcile_network(api: Api, spec: ClusterSpec, status: ClusterStatus) -> None:
    found = api.one_or_none(
        api.network("GET", query("/networks", name=spec.network_name)), "networks"
    )
    if found is None:
        body = {"network": {"admin_state_up": True, "name": spec.network_name}}
        found = api.network("POST", "/networks", body)["network"]
        api.replace_tags("networks", found["id"], list(spec.tags))
    status.network_id = found["id"]


def reconcile_subnet(api: Api, spec: ClusterSpec, status: ClusterStatus) -> None:
    listed = api.network("GET", query("/subnets", network_id=status.network_id, cidr=spec.cidr))
    found = api.one_or_none(listed, "subnets")
    if found is None:
        body = {
            "subnet": {
                "network_id": status.network_id,
                "name": spec.network_name,
                "ip_version": 4,
                "cidr": spec.cidr,
                "dns_nameservers": list(spec.dns),
                "description": spec.description,
            }
        }
        found = api.network("POST", "/subnets", body)["subnet"]
        api.replace_tags("subnets", found["id"], list(spec.tags))
    status.subnet_id = found["id"]


def reconcile_router(api: Api, spec: ClusterSpec, status: ClusterStatus) -> None:
    found = api.one_or_none(
        api.network("GET", query("/routers", name=spec.network_name)), "routers"
    )
    if found is None:
        body = {
            "router": {
                "name": spec.network_name,
                "description": spec.description,
                "external_gateway_info": {"network_id": status.external_network_id},
            }
        }
        found = api.network("POST", "/routers", body)["router"]
        api.replace_tags("routers", found["id"], list(spec.tags))
    status.router_id = found["id"]
    gateway = found["external_gateway_info"] or {}
    status.router_ips = [ip["ip_address"] for ip in gateway.get("external_fixed_ips", [])]
    interfaces = api.network("GET", query("/ports", device_id=status.router_id))["ports"]
    on_subnet = [
        p for p in interfaces for ip in p["fixed_ips"] if ip["subnet_id"] == status.subnet_id
    ]
    if not on_subnet:
        path = f"/routers/{status.router_id}/add_router_interface"
        api.network("PUT", path, {"subnet_id": status.subnet_id})


def security_group_by_name(api: Api, name: str) -> Json | None:
    return api.one_or_none(
        api.network("GET", query("/security-groups", name=name)), "security_groups"
    )


def reconcile_security_groups(api: Api, spec: ClusterSpec, status: ClusterStatus) -> int:
    """networking.ReconcileSecurityGroups without a bastion; returns how many rules it changed."""
    bastion = security_group_by_name(api, spec.group_name("bastion"))
    if bastion is not None:
        api.network("DELETE", f"/security-groups/{bastion['id']}")
    observed: dict[str, Json] = {}
    for suffix in ("controlplane", "worker"):
        group = security_group_by_name(api, spec.group_name(suffix))
        if group is None:
            body = {
                "security_group": {
                    "name": spec.group_name(suffix),
                    "description": "Cluster API managed group",
                }
            }
            group = api.network("POST", "/security-groups", body)["security_group"]
        if sorted(set(spec.tags)) != sorted(set(group["tags"])):
            api.replace_tags("security-groups", group["id"], list(spec.tags))
        observed[suffix] = group
    status.groups = {suffix: group["id"] for suffix, group in observed.items()}
    changes = 0
    for suffix, group in observed.items():
        wanted = desired_rules(suffix, status.groups, spec.cidr)
        to_delete, to_create = differences(wanted, group["id"], group["security_group_rules"])
        for rule_id in to_delete:
            api.network("DELETE", f"/security-group-rules/{rule_id}")
        for rule in to_create:
            body = {"security_group_rule": {**rule, "security_group_id": group["id"]}}
            api.network("POST", "/security-group-rules", body)
        changes += len(to_delete) + len(to_create)
    return changes


def octavia_supports_allowed_cidrs(api: Api, provider: str) -> bool:
    """loadbalancer.isAllowsCIDRSSupported: the last version listed is the current one."""
    current = api.catalog_root("load-balancer")["versions"][-1]["id"]
    major, minor = (int(part) for part in current.lstrip("v").split("."))
    return provider != "ovn" and (major, minor) >= OCTAVIA_VIP_ACL


def canonical_allowed_cidrs(spec: ClusterSpec, status: ClusterStatus) -> list[str]:
    """loadbalancer.getCanonicalAllowedCIDRs (no bastion)."""
    given = [*spec.allowed_cidrs, spec.cidr, *status.router_ips]
    cidrs = [str(ipaddress.ip_network(value)) if "/" in value else f"{value}/32" for value in given]
    return sorted(set(cidrs))


def reconcile_load_balancer(api: Api, spec: ClusterSpec, status: ClusterStatus) -> None:
    """loadbalancer.ReconcileLoadBalancer, then the listener, pool and monitor of the API port."""
    lb = api.one_or_none(
        api.lb("GET", query("/lbaas/loadbalancers", name=spec.lb_name)), "loadbalancers"
    )
    if lb is None:
        api.lb("GET", "/lbaas/providers")
        body = {
            "loadbalancer": {
                "name": spec.lb_name,
                "vip_subnet_id": status.subnet_id,
                "vip_network_id": status.network_id,
                "description": spec.description,
                "tags": list(spec.tags),
            }
        }
        lb = api.lb("POST", "/lbaas/loadbalancers", body)["loadbalancer"]
    if lb["provisioning_status"] != "ACTIVE":
        lb = wait_lb_active(api, lb["id"])
    status.lb = lb
    associate_api_floating_ip(api, spec, status)
    supported = octavia_supports_allowed_cidrs(api, lb["provider"])
    status.allowed_cidrs = canonical_allowed_cidrs(spec, status) if supported else []
    reconcile_listener(api, spec, status)


def associate_api_floating_ip(api: Api, spec: ClusterSpec, status: ClusterStatus) -> None:
    """networking.GetOrCreateFloatingIP and AssociateFloatingIP on the VIP port."""
    fip: Json | None = None
    if status.floating_ip:
        fip = api.one_or_none(
            api.network("GET", query("/floatingips", floating_ip_address=status.floating_ip)),
            "floatingips",
        )
    if fip is None:
        body = {
            "floatingip": {
                "floating_network_id": status.external_network_id,
                "description": spec.description,
            }
        }
        fip = api.network("POST", "/floatingips", body)["floatingip"]
        api.replace_tags("floatingips", fip["id"], list(spec.tags))
    status.floating_ip = fip["floating_ip_address"]
    vip_port = status.lb["vip_port_id"]
    if fip["port_id"] != vip_port:
        api.network("PUT", f"/floatingips/{fip['id']}", {"floatingip": {"port_id": vip_port}})
        wait_floating_ip(api, fip["id"], "ACTIVE")


def reconcile_listener(api: Api, spec: ClusterSpec, status: ClusterStatus) -> None:
    """loadbalancer.reconcileAPILoadBalancerListener for the API server port."""
    name = f"{spec.lb_name}-{spec.api_port}"
    lb_id = status.lb["id"]
    listener = api.one_or_none(api.lb("GET", query("/lbaas/listeners", name=name)), "listeners")
    if listener is None:
        body: dict[str, Any] = {
            "name": name,
            "protocol": "TCP",
            "protocol_port": spec.api_port,
            "loadbalancer_id": lb_id,
            "tags": list(spec.tags),
        }
        if status.allowed_cidrs:
            body["allowed_cidrs"] = status.allowed_cidrs
        listener = api.lb("POST", "/lbaas/listeners", {"listener": body})["listener"]
        wait_lb_active(api, lb_id)
        api.lb("GET", f"/lbaas/listeners/{listener['id']}")
    pool = api.one_or_none(api.lb("GET", query("/lbaas/pools", name=name)), "pools")
    if pool is None:
        body = {
            "name": name,
            "protocol": "TCP",
            "lb_algorithm": "ROUND_ROBIN",
            "listener_id": listener["id"],
            "tags": list(spec.tags),
        }
        pool = api.lb("POST", "/lbaas/pools", {"pool": body})["pool"]
        wait_lb_active(api, lb_id)
    status.pool_id = pool["id"]
    monitors = api.lb("GET", query("/lbaas/healthmonitors", name=name))
    if api.one_or_none(monitors, "healthmonitors") is None:
        body = {
            "name": name,
            "pool_id": pool["id"],
            "type": "TCP",
            "delay": 10,
            "timeout": 5,
            "max_retries": 5,
            "max_retries_down": 3,
        }
        api.lb("POST", "/lbaas/healthmonitors", {"healthmonitor": body})
        wait_lb_active(api, lb_id)
    # getOrUpdateAllowedCIDRs compares with the listener as created or listed
    if sorted(set(listener["allowed_cidrs"] or [])) != status.allowed_cidrs:
        body = {"allowed_cidrs": status.allowed_cidrs}
        path = f"/lbaas/listeners/{listener['id']}"
        listener = api.lb("PUT", path, {"listener": body})["listener"]
        api.lb("GET", path)
    status.listener = listener


def reconcile_cluster(api: Api, spec: ClusterSpec) -> ClusterStatus:
    """OpenStackClusterReconciler.reconcileNormal with managed subnet, groups and API LB."""
    status = ClusterStatus()
    reconcile_external_network(api, status)
    reconcile_network(api, spec, status)
    reconcile_subnet(api, spec, status)
    reconcile_router(api, spec, status)
    reconcile_security_groups(api, spec, status)
    reconcile_load_balancer(api, spec, status)
    zones = api.compute("GET", "/os-availability-zone")["availabilityZoneInfo"]
    status.availability_zones = [z["zoneName"] for z in zones if z["zoneState"]["available"]]
    return status
