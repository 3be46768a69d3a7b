"""Fields the renderer writes for the API port, failure domains, certificate renewal and node
roles, applied to the real management cluster: the API server (CRD schemas, CAPO v0.14.7's
v1beta1) and the providers' webhooks admit them and keep them as rendered.

The Cluster is applied paused (see tests/kube/test_apply.py), so no controller acts on them.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from tests.kube.rendered import render, stored
from tests.support.management import release


@pytest.fixture
def cluster(kube: KubeClient) -> Iterator[str]:
    name = f"c{uuid.uuid4().hex[:10]}"
    yield name
    release(kube, name)


def _one(manifests: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [m for m in manifests if m["kind"] == kind]
    return found


def test_port_failure_domain_certificate_rollout_and_worker_role_are_admitted_as_rendered(
    kube: KubeClient, cluster: str
) -> None:
    manifests = render(
        kube,
        cluster,
        availability_zone="az2",
        api_server={"port": 443},
        control_plane={"certificates_expiry_days": 45},
    )
    apply(kube, manifests)

    plane = stored(kube, _one(manifests, "KubeadmControlPlane"))
    assert plane is not None
    assert plane["spec"]["rollout"]["before"] == {"certificatesExpiryDays": 45}
    config = plane["spec"]["kubeadmConfigSpec"]
    assert config["initConfiguration"]["localAPIEndpoint"]["bindPort"] == 443
    assert config["joinConfiguration"]["controlPlane"]["localAPIEndpoint"]["bindPort"] == 443

    infra = _one(manifests, "OpenStackCluster")
    assert infra["apiVersion"] == "infrastructure.cluster.x-k8s.io/v1beta1"  # CAPO v0.14.7
    openstack = stored(kube, infra)
    assert openstack is not None
    assert openstack["spec"]["controlPlaneAvailabilityZones"] == ["az2"]
    assert openstack["spec"]["apiServerPort"] == 443
    rules = openstack["spec"]["managedSecurityGroups"]["controlPlaneNodesSecurityGroupRules"]
    assert [(r["name"], r["portRangeMin"], r["portRangeMax"]) for r in rules] == [
        ("kubernetes-api-443", 443, 443)
    ]

    deployment = stored(kube, _one(manifests, "MachineDeployment"))
    assert deployment is not None
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["node-role.kubernetes.io/worker"] == ""


def test_the_real_kcp_refuses_fewer_than_seven_days_as_the_settings_do(
    kube: KubeClient, cluster: str
) -> None:
    """The settings' lower bound is KCP's own: the real API server refuses 6 days."""
    manifests = render(kube, cluster)
    apply(kube, [m for m in manifests if m["kind"] != "KubeadmControlPlane"])
    plane = copy.deepcopy(_one(manifests, "KubeadmControlPlane"))
    plane["spec"]["rollout"]["before"]["certificatesExpiryDays"] = 6
    with pytest.raises(ClusterError, match="certificatesExpiryDays"):
        apply(kube, [plane])
