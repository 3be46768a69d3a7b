"""Secrets: values round-trip through the API server and never show in a repr, a log or an error."""

from __future__ import annotations

import base64
import logging

import pytest

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.secrets import SecretData, apply_secret, read_secret, update_secret

VALUE = "application_credential_secret: s3cr3t-value"
NEW_VALUE = "application_credential_secret: r0tated-value"
LABELS = {naming.LABEL_MANAGED_BY: naming.MANAGED_BY, naming.LABEL_CLUSTER_NAME: "demo"}


def test_data_round_trips_decoded_and_hidden_from_repr(
    kube: KubeClient, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    applied = apply_secret(
        kube, namespace, "demo-cloud-config", {"clouds.yaml": VALUE, "cacert": b""}, LABELS
    )
    assert applied.action == "created"
    data = read_secret(kube, namespace, "demo-cloud-config")
    assert dict(data) == {"clouds.yaml": VALUE, "cacert": ""}
    assert data.raw("cacert") == b""
    for text in (repr(data), str(data), f"{data}", repr([data]), caplog.text):
        assert "s3cr3t" not in text
        assert base64.b64encode(VALUE.encode()).decode() not in text
    assert repr(data) == "SecretData(keys=['cacert', 'clouds.yaml'], values='***')"


def test_update_replaces_some_keys_and_keeps_the_rest(kube: KubeClient, namespace: str) -> None:
    apply_secret(
        kube, namespace, "demo-cloud-config", {"clouds.yaml": VALUE, "cacert": "CA"}, LABELS
    )
    assert (
        update_secret(kube, namespace, "demo-cloud-config", {"clouds.yaml": NEW_VALUE}).action
        == "changed"
    )
    assert dict(read_secret(kube, namespace, "demo-cloud-config")) == {
        "clouds.yaml": NEW_VALUE,
        "cacert": "CA",
    }
    secrets = kube.resource("v1", "Secret")
    stored = secrets.get(name="demo-cloud-config", namespace=namespace).to_dict()
    assert stored["metadata"]["labels"] == LABELS
    assert stored["type"] == "Opaque"
    assert (
        update_secret(kube, namespace, "demo-cloud-config", {"clouds.yaml": NEW_VALUE}).action
        == "unchanged"
    )


def test_a_missing_secret_is_a_clear_error(kube: KubeClient, namespace: str) -> None:
    with pytest.raises(ClusterError, match=f"Secret {namespace}/absent does not exist"):
        read_secret(kube, namespace, "absent")


def test_secret_data_is_a_plain_mapping_otherwise() -> None:
    data = SecretData({"a": b"1"})
    assert data == {"a": "1"}
    assert list(data) == ["a"]
    assert len(data) == 1
