"""Render every manifest of one workload cluster: settings and resolved facts in, dicts out."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from scs_kaas import naming
from scs_kaas.render.addons import render_addons
from scs_kaas.render.addons.context import AddonContext, ClusterNetworking
from scs_kaas.render.autoscaler import render_autoscaler
from scs_kaas.render.capo_versions import to_infrastructure_version
from scs_kaas.render.control_plane import render_control_plane
from scs_kaas.render.facts import CloudFacts, ClusterIdentity, ManagementFacts
from scs_kaas.render.infrastructure import (
    cluster_object,
    identity_secret,
    namespace,
    openstack_cluster,
)
from scs_kaas.render.metadata import common_labels
from scs_kaas.render.node_groups import render_node_group
from scs_kaas.settings.model import Settings

NO_FILES: Mapping[str, str] = MappingProxyType({})
NEWEST_MANAGEMENT = ManagementFacts()


def _node_address_cidrs(settings: Settings, facts: CloudFacts) -> tuple[str, ...]:
    """Every address a node can report: the node subnet, and the API's floating IP when it sits
    on the control-plane machine (the given address, else the external network's subnets). The
    cloud controller manager reports no address of an extra network (cloud.conf names the
    cluster network as the only internal one)."""
    cidrs = [settings.network.node_cidr]
    api = settings.api_server
    if api.floating_ip and not api.load_balancer:
        if api.floating_ip_address:
            host_bits = 32 if ":" not in api.floating_ip_address else 128
            cidrs.append(f"{api.floating_ip_address}/{host_bits}")
        else:
            cidrs += facts.floating_ip_cidrs
    return tuple(cidrs)


def render_cluster(
    cluster: str,
    settings: Settings,
    facts: CloudFacts,
    identity: ClusterIdentity,
    manifest_files: Mapping[str, str] = NO_FILES,
    management: ManagementFacts = NEWEST_MANAGEMENT,
) -> list[dict[str, Any]]:
    """The cluster's Cluster API objects, then its add-ons.

    `manifest_files` holds the text of custom add-on manifest files, read by the caller.
    `management` says which CAPO API the OpenStack objects are written in (made as v1beta2,
    then converted: the names do not depend on it).
    """
    labels = common_labels(cluster, settings.prefix)
    cloud_name = management.cloud_cluster_name or naming.cloud_cluster_name(
        settings.prefix, cluster
    )
    documents = [
        namespace(cluster, settings, labels),
        identity_secret(cluster, settings, identity, labels),
        cluster_object(cluster, settings, labels, cloud_name),
        openstack_cluster(cluster, settings, facts, labels),
        *render_control_plane(cluster, settings, facts, identity.cacert, labels),
    ]
    for group in settings.node_groups:
        documents += render_node_group(cluster, settings, group, facts, identity.cacert, labels)
    context = AddonContext(
        cluster_name=cluster,
        namespace=settings.namespace_for(cluster),
        mtu=settings.network.mtu,
        pod_cidrs=(settings.network.pod_cidr,),
        service_cidrs=(settings.network.service_cidr,),
        cloud_conf=identity.cloud_conf,
        kubernetes_version=settings.kubernetes_version,
        ca_bundle=identity.cacert or None,
        cloud_cluster_name=cloud_name,
        node_cidrs=(settings.network.node_cidr,),
        gpu_node_groups=tuple(g.name for g in settings.node_groups if g.gpu),
        networking=ClusterNetworking(
            internal_network=naming.capo_network(settings.namespace_for(cluster), cluster),
            floating_network_id=facts.external_network_id,
            load_balancer_provider=settings.api_server.load_balancer_provider,
        ),
        node_name_prefixes=(
            naming.control_plane(cluster),
            *(naming.node_group(cluster, g.name) for g in settings.node_groups),
        ),
        node_address_cidrs=_node_address_cidrs(settings, facts),
        labels=MappingProxyType(labels),
        manifest_files=manifest_files,
    )
    documents += render_addons(context, settings.addons)
    documents += render_autoscaler(cluster, settings, labels)
    return to_infrastructure_version(documents, management.infrastructure_version)
