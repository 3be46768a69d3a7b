"""`kaas cluster delete` prunes every kind the renderer makes (no cloud, no cluster)."""

from __future__ import annotations

from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster.delete import LEFT_BEHIND
from scs_kaas.workflows.render import offline_documents


def test_every_rendered_kind_but_namespace_and_cluster_is_pruned() -> None:
    rendered = {
        (doc["apiVersion"], doc["kind"])
        for doc in offline_documents(Settings(cloud="c", prefix="p"), "demo")
    }
    pruned = set(LEFT_BEHIND)
    assert len(pruned) == len(LEFT_BEHIND)
    expected = rendered - {("v1", "Namespace"), ("cluster.x-k8s.io/v1beta2", "Cluster")}
    assert expected <= pruned, expected - pruned
