"""Render every manifest of one workload cluster: settings and resolved facts in, dicts out."""

from __future__ import annotations

from typing import Any

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


def render_cluster(
    cluster: str, settings: Settings, facts: CloudFacts, identity: ClusterIdentity
) -> list[dict[str, Any]]:
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
    return documents
