"""Neutron: tagged networks, a router on the external network, a floating IP, security groups."""

from __future__ import annotations

import ipaddress

import pytest
from openstack.connection import Connection

from scs_kaas.localcloud.resources import EXTERNAL_CIDR
from scs_kaas.openstack.lookup import subnet_cidrs
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD


@pytest.fixture(params=["user", "app"])
def conn(request: pytest.FixtureRequest, project: Project) -> Connection:
    """Each network test runs as the project user and with the application credential."""
    chosen: Connection = getattr(project, request.param)
    return chosen


def test_network_with_tags_and_subnet(conn: Connection) -> None:
    net = conn.network.create_network(name="k8s-clusterapi-cluster-default-foo")
    try:
        conn.network.set_tags(net, ["capo", "cluster-foo"])
        subnet = conn.network.create_subnet(
            network_id=net.id,
            name="k8s-subnet",
            ip_version=4,
            cidr="10.8.0.0/20",
            dns_nameservers=["9.9.9.9"],
        )
        read = conn.network.get_network(net.id)
        assert sorted(read.tags) == ["capo", "cluster-foo"]
        assert read.subnet_ids == [subnet.id]
        assert [n.id for n in conn.network.networks(tags="cluster-foo")] == [net.id]
        assert [n.id for n in conn.network.networks(any_tags="capo,nope")] == [net.id]
        assert net.id not in {n.id for n in conn.network.networks(not_tags="cluster-foo")}
        subnet = conn.network.get_subnet(subnet.id)
        assert subnet.gateway_ip == "10.8.0.1"
        assert subnet.dns_nameservers == ["9.9.9.9"]
    finally:
        conn.network.delete_network(net)
    assert conn.network.find_network(net.id) is None


def test_router_with_external_gateway_and_floating_ip(conn: Connection, project: Project) -> None:
    net = conn.network.create_network(name="node-net")
    subnet = conn.network.create_subnet(
        network_id=net.id, name="node-subnet", ip_version=4, cidr="10.9.0.0/24"
    )
    router = conn.network.create_router(
        name="k8s-router", external_gateway_info={"network_id": project.external_network_id}
    )
    conn.network.add_interface_to_router(router, subnet=subnet.id)
    port = conn.network.create_port(network_id=net.id, name="apiserver-port")
    fip = conn.network.create_ip(
        floating_network_id=project.external_network_id, description="apiserver"
    )
    try:
        gateway_ips = router.external_gateway_info["external_fixed_ips"]
        assert ipaddress.ip_address(gateway_ips[0]["ip_address"]) in ipaddress.ip_network(
            EXTERNAL_CIDR
        )
        interfaces = list(
            conn.network.ports(device_id=router.id, device_owner="network:router_interface")
        )
        assert [p.fixed_ips[0]["ip_address"] for p in interfaces] == ["10.9.0.1"]

        conn.network.set_tags(fip, ["cluster-foo"])
        fip = conn.network.update_ip(fip, port_id=port.id)
        read = conn.network.get_ip(fip.id)
        assert read.port_id == port.id
        assert read.fixed_ip_address == port.fixed_ips[0]["ip_address"]
        assert ipaddress.ip_address(read.floating_ip_address) in ipaddress.ip_network(EXTERNAL_CIDR)
        assert [f.id for f in conn.network.ips(tags="cluster-foo")] == [fip.id]

        conn.network.update_ip(fip, port_id=None)
        assert conn.network.get_ip(fip.id).port_id is None
    finally:
        conn.network.delete_ip(fip)
        conn.network.delete_port(port)
        conn.network.remove_interface_from_router(router, subnet=subnet.id)
        conn.network.delete_router(router)
        conn.network.delete_network(net)
    assert conn.network.find_router(router.id) is None
    assert conn.network.find_ip(fip.id) is None


def test_security_group_with_rules(conn: Connection) -> None:
    group = conn.network.create_security_group(
        name="k8s-cluster-foo-secgroup-controlplane", description="control plane"
    )
    try:
        api = conn.network.create_security_group_rule(
            security_group_id=group.id,
            direction="ingress",
            protocol="tcp",
            port_range_min=6443,
            port_range_max=6443,
            remote_ip_prefix="0.0.0.0/0",
            ethertype="IPv4",
        )
        conn.network.create_security_group_rule(
            security_group_id=group.id,
            direction="ingress",
            protocol="4",  # IP-in-IP (Calico)
            remote_group_id=group.id,
            ethertype="IPv4",
        )
        conn.network.set_tags(group, ["cluster-foo"])
        rules = list(conn.network.security_group_rules(security_group_id=group.id))
        ingress = [r for r in rules if r.direction == "ingress"]
        assert len(ingress) == 2
        # Neutron adds the two default egress rules (IPv4, IPv6) to every new group
        assert len(rules) == 4
        read = conn.network.get_security_group_rule(api.id)
        assert (read.protocol, read.port_range_min, read.port_range_max) == ("tcp", 6443, 6443)
        assert read.remote_ip_prefix == "0.0.0.0/0"
        assert {r.remote_group_id for r in ingress} == {None, group.id}
        assert [g.id for g in conn.network.security_groups(tags="cluster-foo")] == [group.id]
    finally:
        conn.network.delete_security_group(group)
    assert conn.network.find_security_group(group.id) is None


def test_the_external_networks_subnets_are_visible_to_the_project(
    conn: Connection, project: Project
) -> None:
    """Where a control-plane floating IP comes from (the CSR approver admits those addresses)."""
    assert subnet_cidrs(conn, project.external_network_id) == (EXTERNAL_CIDR,)
