"""The kubeconfig kind writes on the management host (~/.kube/config), as the SSH tests plant it."""

from __future__ import annotations

KIND_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [
        {
            "name": "kind-kaas",
            "cluster": {"server": "https://127.0.0.1:6443", "certificate-authority-data": "Q0E="},
        }
    ],
    "users": [{"name": "kind-kaas", "user": {"client-key-data": "c2VjcmV0"}}],
    "contexts": [{"name": "kind-kaas", "context": {"cluster": "kind-kaas", "user": "kind-kaas"}}],
    "current-context": "kind-kaas",
}
