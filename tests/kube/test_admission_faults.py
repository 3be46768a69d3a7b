"""Failures on cue from the real API server (tests/support/admission.py): an admission policy of
the test's own refuses writes to one named object; everything else is served, and once the
policy is gone the same write goes through."""

from __future__ import annotations

import pytest

from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.secrets import apply_secret, read_secret
from tests.support.admission import refusing


def test_the_named_object_is_refused_and_others_are_written(
    kube: KubeClient, namespace: str
) -> None:
    apply_secret(kube, namespace, "target", {"k": "old"})
    with refusing(kube, "v1", "Secret", namespace, "target", ["UPDATE"]) as refusal:
        apply_secret(kube, namespace, "bystander", {"k": "written"})  # another object: served
        with pytest.raises(ClusterError, match="HTTP 403") as caught:
            apply_secret(kube, namespace, "target", {"k": "new"})
        assert refusal.denied(caught.value)
        assert read_secret(kube, namespace, "target")["k"] == "old"  # reads still answer
    apply_secret(kube, namespace, "target", {"k": "new"})  # the policy is gone
    assert read_secret(kube, namespace, "target")["k"] == "new"
    assert read_secret(kube, namespace, "bystander")["k"] == "written"


def test_a_refused_creation_leaves_nothing_and_is_made_later(
    kube: KubeClient, namespace: str
) -> None:
    refused = refusing(kube, "v1", "Secret", namespace, "fresh", ["CREATE"], reason="Invalid")
    with refused as refusal:
        for _ in range(2):
            with pytest.raises(ClusterError, match="HTTP 422") as caught:
                apply_secret(kube, namespace, "fresh", {"k": "v"})
            assert refusal.denied(caught.value)
        with pytest.raises(ClusterError, match="does not exist"):
            read_secret(kube, namespace, "fresh")
    apply_secret(kube, namespace, "fresh", {"k": "v"})
    assert read_secret(kube, namespace, "fresh")["k"] == "v"


def test_the_policy_is_confined_to_its_namespace(kube: KubeClient, namespace: str) -> None:
    other = f"{namespace}-b"
    namespaces = kube.resource("v1", "Namespace")
    namespaces.create(body={"metadata": {"name": other}})
    try:
        with refusing(kube, "v1", "Secret", namespace, "same-name", ["CREATE"]):
            apply_secret(kube, other, "same-name", {"k": "v"})
            assert read_secret(kube, other, "same-name")["k"] == "v"
    finally:
        namespaces.delete(name=other)
