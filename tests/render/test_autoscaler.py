"""The cluster-autoscaler is rendered with the groups that autoscale: one per cluster, against
its namespace and name, reading the workload kubeconfig CAPI writes, pinned to the minor."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scs_kaas.render.autoscaler import IMAGE_BY_MINOR, image
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.model import Settings

AUTOSCALED = [
    {"name": "md-0", "count": 2},
    {"name": "batch", "autoscale_min": 0, "autoscale_max": 10},
]


def _render(groups: list[dict[str, Any]], version: str = "1.34") -> list[dict[str, Any]]:
    chosen = Settings(prefix="capi", node_groups=groups, kubernetes_version=version)
    return render_cluster("prod", chosen, CloudFacts(), placeholder_identity("openstack"))


def _of(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in documents if d["kind"] == kind and "autoscaler" in d["metadata"]["name"]]


def test_no_autoscaler_without_an_autoscaled_group() -> None:
    documents = _render([{"name": "md-0", "count": 3}])
    assert not [d for d in documents if d["metadata"]["name"] == "prod-autoscaler"]


def test_one_autoscaler_for_the_cluster_reading_its_workload_kubeconfig() -> None:
    documents = _render(AUTOSCALED)
    (deployment,) = _of(documents, "Deployment")
    assert deployment["metadata"]["namespace"] == "capi-prod"
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert (
        container["image"]
        == f"registry.k8s.io/autoscaling/cluster-autoscaler:{IMAGE_BY_MINOR['1.34']}"
    )
    assert container["args"][:4] == [
        "--cloud-provider=clusterapi",
        "--kubeconfig=/etc/kubernetes/workload/value",
        "--clusterapi-cloud-config-authoritative",
        "--node-group-auto-discovery=clusterapi:namespace=capi-prod,clusterName=prod",
    ]
    assert spec["volumes"] == [{"name": "kubeconfig", "secret": {"secretName": "prod-kubeconfig"}}]
    assert spec["serviceAccountName"] == "prod-autoscaler"
    (binding,) = _of(documents, "RoleBinding")
    assert binding["roleRef"]["name"] == "prod-autoscaler"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "prod-autoscaler", "namespace": "capi-prod"}
    ]
    # the autoscaled group leaves its replicas to the autoscaler, the other keeps its count
    groups = {d["metadata"]["name"]: d for d in documents if d["kind"] == "MachineDeployment"}
    assert "replicas" not in groups["prod-batch"]["spec"]
    assert groups["prod-md-0"]["spec"]["replicas"] == 2


@settings(deadline=None, max_examples=30)
@given(st.integers(min_value=20, max_value=45), st.integers(min_value=0, max_value=20))
def test_the_image_follows_the_minor_never_newer_than_the_cluster(minor: int, patch: int) -> None:
    tag = image(f"v1.{minor}.{patch}").rsplit(":v", 1)[1]
    chosen = tuple(int(p) for p in tag.split(".")[:2])
    lines = sorted(tuple(int(p) for p in m.split(".")) for m in IMAGE_BY_MINOR)
    if (1, minor) in lines:
        assert chosen == (1, minor)
    elif (1, minor) > lines[0]:
        assert chosen == max(line for line in lines if line <= (1, minor))
    else:
        assert chosen == lines[0]  # older than every pin: the oldest one
