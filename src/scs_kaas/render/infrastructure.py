"""The cluster's own objects: Namespace, identity Secret, Cluster and OpenStackCluster."""

from __future__ import annotations

import base64
from typing import Any

from scs_kaas import naming
from scs_kaas.render.facts import CloudFacts, ClusterIdentity
from scs_kaas.render.kubeadm import DEFAULT_API_PORT
from scs_kaas.render.machines import by_name_or_id, openstack_tags
from scs_kaas.render.metadata import (
    CLUSTER_API,
    CONTROLPLANE_GROUP,
    INFRA_API,
    INFRA_GROUP,
    manifest,
    ref,
)
from scs_kaas.render.server_groups import server_groups_annotation
from scs_kaas.settings.model import Settings


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def namespace(cluster: str, settings: Settings, labels: dict[str, str]) -> dict[str, Any]:
    return manifest("v1", "Namespace", settings.namespace_for(cluster), None, labels)


def identity_secret(
    cluster: str, settings: Settings, identity: ClusterIdentity, labels: dict[str, str]
) -> dict[str, Any]:
    """CAPO's credentials: `clouds.yaml` and `cacert`, moved along by `clusterctl move`."""
    return manifest(
        "v1",
        "Secret",
        naming.identity_secret(cluster),
        settings.namespace_for(cluster),
        {**labels, naming.LABEL_MOVE: "true"},
        type="Opaque",
        data={"clouds.yaml": _b64(identity.clouds_yaml), "cacert": _b64(identity.cacert)},
    )


def cluster_object(
    cluster: str, settings: Settings, labels: dict[str, str], cloud_name: str
) -> dict[str, Any]:
    """The Cluster, with what it records for its lifetime: the cloud name of its OCCM and CSI,
    the server groups the tool made for it."""
    network = settings.network
    spec = {
        "clusterNetwork": {
            "pods": {"cidrBlocks": [network.pod_cidr]},
            "services": {"cidrBlocks": [network.service_cidr]},
            "serviceDomain": network.service_domain,
        },
        "controlPlaneRef": ref(
            CONTROLPLANE_GROUP, "KubeadmControlPlane", naming.control_plane(cluster)
        ),
        "infrastructureRef": ref(INFRA_GROUP, "OpenStackCluster", cluster),
    }
    document = manifest(
        CLUSTER_API, "Cluster", cluster, settings.namespace_for(cluster), labels, spec
    )
    document["metadata"]["annotations"] = {
        naming.CLOUD_NAME_ANNOTATION: cloud_name,
        **server_groups_annotation(settings, cluster),
    }
    return document


def _api_server(settings: Settings, facts: CloudFacts) -> dict[str, Any]:
    api = settings.api_server
    result: dict[str, Any] = {"port": api.port}
    if not api.floating_ip:
        result["enableFloatingIP"] = False
    if api.floating_ip_address:
        result["floatingIP"] = api.floating_ip_address
    if api.load_balancer:
        balancer: dict[str, Any] = {"enabled": True}
        if api.allowed_cidrs:
            # The nodes and the management side must always reach the API, or the cluster
            # cannot even initialise (R1 #246, #630).
            cidrs = [*api.allowed_cidrs, settings.network.node_cidr, *facts.api_access_cidrs]
            balancer["allowedCIDRs"] = sorted(set(cidrs))
        if api.load_balancer_provider:
            balancer["provider"] = api.load_balancer_provider
        result["managedLoadBalancer"] = balancer
    return result


def _security_groups(settings: Settings) -> dict[str, Any]:
    groups: dict[str, Any] = {"allowAllInClusterTraffic": True}
    port = settings.api_server.port
    if port != DEFAULT_API_PORT:
        # CAPO opens only 6443 on the control plane ("Kubernetes API", from anywhere; the load
        # balancer's allowedCIDRs restrict who gets there): open the API's own port alike.
        groups["controlPlaneNodesSecurityGroupRules"] = [
            {
                "name": f"kubernetes-api-{port}",
                "description": "Kubernetes API on api_server.port",
                "direction": "ingress",
                "etherType": "IPv4",
                "protocol": "tcp",
                "portRangeMin": port,
                "portRangeMax": port,
            }
        ]
    return groups


def openstack_cluster(
    cluster: str, settings: Settings, facts: CloudFacts, labels: dict[str, str]
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "identityRef": {
            "type": "Secret",
            "name": naming.identity_secret(cluster),
            "cloudName": settings.cloud,
        },
        "managedSubnets": [
            {"cidr": settings.network.node_cidr, "dnsNameservers": settings.network.dns_nameservers}
        ],
        "apiServer": _api_server(settings, facts),
        # The CNIs need node-to-node traffic (VXLAN, BGP, health checks) between all nodes.
        "managedSecurityGroups": _security_groups(settings),
        "tags": openstack_tags(settings, cluster),
    }
    if facts.external_network_id:
        spec["externalNetwork"] = {"id": facts.external_network_id}
    elif settings.external_network:
        spec["externalNetwork"] = by_name_or_id(settings.external_network)
    zones = settings.control_plane.failure_domains or (
        [settings.availability_zone] if settings.availability_zone else []
    )
    if zones:
        # Without it CAPO offers every compute AZ to the control plane as a failure domain.
        spec["controlPlaneAvailabilityZones"] = list(zones)
    if not settings.network.dns_nameservers:
        del spec["managedSubnets"][0]["dnsNameservers"]
    return manifest(
        INFRA_API, "OpenStackCluster", cluster, settings.namespace_for(cluster), labels, spec
    )
