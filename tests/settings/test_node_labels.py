"""Node labels: only keys the kubelet accepts in --node-labels (else it does not start)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from scs_kaas.errors import SettingsError
from scs_kaas.settings.fields import KUBELET_LABELS, NodeLabelKey
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import build_settings

NODE_LABEL = TypeAdapter(NodeLabelKey)
_LABEL = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@pytest.mark.parametrize(
    "key",
    [
        "node-role.kubernetes.io/worker",
        "node-role.kubernetes.io/ingress",
        "kubernetes.io/role",
        "k8s.io/anything",
        "node-restriction.kubernetes.io/pool",  # allowed on Machines (CAPI syncs it), not kubelets
        "sub.k8s.io/x",
    ],
)
def test_keys_the_kubelet_refuses_are_rejected_naming_the_allowed_prefixes(key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        NODE_LABEL.validate_python(key)
    message = str(caught.value)
    assert "kubelet.kubernetes.io/" in message and "node.kubernetes.io/" in message
    assert "topology.kubernetes.io/zone" in message


@pytest.mark.parametrize(
    "key",
    [
        "tier",
        "example.com/zone",
        "node.kubernetes.io/pool",
        "kubelet.kubernetes.io/x",
        "team.node.kubernetes.io/x",
        "kubernetes.io.example.com/x",  # a different domain that only starts alike
        *KUBELET_LABELS,
    ],
)
def test_keys_the_kubelet_accepts_pass(key: str) -> None:
    assert NODE_LABEL.validate_python(key) == key


@given(_LABEL, st.sampled_from(["kubernetes.io", "k8s.io"]), _LABEL)
def test_any_other_key_in_the_kubernetes_namespaces_is_rejected(
    sub: str, domain: str, name: str
) -> None:
    key = f"{sub}.{domain}/{name}"
    allowed = key in KUBELET_LABELS or sub in ("kubelet", "node")
    if allowed:
        assert NODE_LABEL.validate_python(key) == key
    else:
        with pytest.raises(ValidationError):
            NODE_LABEL.validate_python(key)


def test_a_reserved_label_is_an_input_error_naming_the_setting() -> None:
    data = {"node_groups": [{"name": "md-0", "labels": {"node-role.kubernetes.io/worker": ""}}]}
    with pytest.raises(SettingsError) as caught:
        build_settings("prod", [Layer("test", data)])
    assert caught.value.exit_code == 2
    assert "node_groups" in str(caught.value) and "labels" in str(caught.value)
    assert "node-role.kubernetes.io/worker" in str(caught.value)
