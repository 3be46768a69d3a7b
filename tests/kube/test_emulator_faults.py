"""The emulator's fault injection: one object's next writes refused, all else served."""

from __future__ import annotations

import pytest

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.secrets import apply_secret, read_secret
from tests.kube.conftest import Emulator


@pytest.fixture
def namespace(kube: KubeClient) -> str:
    apply(kube, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "faults"}}])
    return "faults"


def test_the_named_object_is_refused_once_and_others_are_written(
    emulator: Emulator, kube: KubeClient, namespace: str
) -> None:
    apply_secret(kube, namespace, "target", {"k": "old"})
    emulator.refuse_writes("secrets", namespace, "target", status=503)
    apply_secret(kube, namespace, "bystander", {"k": "written"})  # another object: served
    with pytest.raises(ClusterError, match="HTTP 503"):
        apply_secret(kube, namespace, "target", {"k": "new"})
    assert read_secret(kube, namespace, "target")["k"] == "old"  # reads still answer
    assert emulator.refused() == [("secrets", namespace, "target")]
    apply_secret(kube, namespace, "target", {"k": "new"})  # the fault was for one write
    assert read_secret(kube, namespace, "target")["k"] == "new"
    assert read_secret(kube, namespace, "bystander")["k"] == "written"


def test_a_fault_counts_down_and_covers_creation(
    emulator: Emulator, kube: KubeClient, namespace: str
) -> None:
    emulator.refuse_writes("secrets", namespace, "fresh", status=500, times=2)
    for _ in range(2):
        with pytest.raises(ClusterError, match="HTTP 500"):
            apply_secret(kube, namespace, "fresh", {"k": "v"})
    with pytest.raises(ClusterError, match="does not exist"):
        read_secret(kube, namespace, "fresh")
    apply_secret(kube, namespace, "fresh", {"k": "v"})
    assert read_secret(kube, namespace, "fresh")["k"] == "v"
    assert len(emulator.refused()) == 2
