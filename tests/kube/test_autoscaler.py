"""The cluster-autoscaler's objects on the real management kube-apiserver: admitted as rendered,
its ServiceAccount allowed exactly what the Cluster API provider needs in the cluster's
namespace (RBAC judged by the API server itself), pruned once no group autoscales. The image
cannot be pulled here: the Deployment stays unready, which is not what is tested."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from scs_kaas.kube.apply import apply, prune
from scs_kaas.kube.client import KubeClient
from scs_kaas.workflows.cluster.prepare import addon_selector
from scs_kaas.workflows.cluster.target import ClusterTarget
from tests.kube.rendered import render
from tests.support.management import release

AUTOSCALED = [
    {"name": "md-0", "count": 1},
    {"name": "batch", "autoscale_min": 0, "autoscale_max": 5},
]


@pytest.fixture
def cluster(kube: KubeClient) -> Iterator[str]:
    name = f"a{uuid.uuid4().hex[:10]}"
    yield name
    release(kube, name)


def _allowed(kube: KubeClient, user: str, namespace: str, **attributes: str) -> bool:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": user, "resourceAttributes": {"namespace": namespace, **attributes}},
    }
    answer = kube.resource("authorization.k8s.io/v1", "SubjectAccessReview").create(body=review)
    return bool(answer.to_dict()["status"].get("allowed"))


def test_the_autoscaler_is_admitted_allowed_its_own_namespace_only_and_pruned(
    kube: KubeClient, cluster: str
) -> None:
    documents = render(kube, cluster, node_groups=AUTOSCALED)
    apply(kube, documents)
    name = f"{cluster}-autoscaler"
    stored: Any = kube.resource("apps/v1", "Deployment").get(name=name, namespace=cluster)
    (container,) = stored.to_dict()["spec"]["template"]["spec"]["containers"]
    assert "--cloud-provider=clusterapi" in container["args"]
    assert "--clusterapi-cloud-config-authoritative" in container["args"]
    assert (
        f"--node-group-auto-discovery=clusterapi:namespace={cluster},clusterName={cluster}"
        in container["args"]
    )
    assert container["image"].startswith("registry.k8s.io/autoscaling/cluster-autoscaler:v1.")

    account = f"system:serviceaccount:{cluster}:{name}"
    capi = {"group": "cluster.x-k8s.io"}
    assert _allowed(kube, account, cluster, verb="list", resource="machinedeployments", **capi)
    assert _allowed(kube, account, cluster, verb="watch", resource="machines", **capi)
    assert _allowed(
        kube,
        account,
        cluster,
        verb="patch",
        resource="machinedeployments",
        subresource="scale",
        **capi,
    )
    assert _allowed(
        kube,
        account,
        cluster,
        verb="get",
        resource="openstackmachinetemplates",
        group="infrastructure.cluster.x-k8s.io",
    )
    # nothing else: not another namespace, not the Secrets (the kubeconfig is mounted)
    assert not _allowed(
        kube, account, "default", verb="list", resource="machinedeployments", **capi
    )
    assert not _allowed(kube, account, cluster, verb="get", resource="secrets")
    assert not _allowed(kube, account, cluster, verb="delete", resource="machines", **capi)

    # a create without autoscaled groups prunes it
    target = ClusterTarget("capi", cluster, cluster)
    after = render(kube, cluster, node_groups=[{"name": "md-0", "count": 1}])
    pruned = prune(kube, cluster, addon_selector(target), keep=after)
    assert sorted(ref.kind for ref in pruned) == [
        "Deployment",
        "Role",
        "RoleBinding",
        "ServiceAccount",
    ]
