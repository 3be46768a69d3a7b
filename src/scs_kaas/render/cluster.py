"""Render every manifest of one workload cluster: settings and resolved facts in, dicts out."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from scs_kaas.render.addons import render_addons
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.render.control_plane import render_control_plane
from scs_kaas.render.facts import CloudFacts, ClusterIdentity
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


def render_cluster(
    cluster: str,
    settings: Settings,
    facts: CloudFacts,
    identity: ClusterIdentity,
    manifest_files: Mapping[str, str] = NO_FILES,
) -> list[dict[str, Any]]:
    """The cluster's Cluster API objects, then its add-ons.

    `manifest_files` holds the text of custom add-on manifest files, read by the caller.
    """
    labels = common_labels(cluster, settings.prefix)
    documents = [
        namespace(cluster, settings, labels),
        identity_secret(cluster, settings, identity, labels),
        cluster_object(cluster, settings, labels),
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
        gpu_node_groups=tuple(g.name for g in settings.node_groups if g.gpu),
        labels=MappingProxyType(labels),
        manifest_files=manifest_files,
    )
    return documents + render_addons(context, settings.addons)
