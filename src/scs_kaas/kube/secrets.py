"""Reading and writing Secrets, with values that cannot leak through a repr, a log or an error."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from typing import Any

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import FIELD_MANAGER, Applied, apply
from scs_kaas.kube.client import KubeClient


class SecretData(Mapping[str, str]):
    """A Secret's data, decoded; its repr and str show the keys and never the values."""

    def __init__(self, values: Mapping[str, bytes]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> str:
        return self._values[key].decode("utf-8")

    def raw(self, key: str) -> bytes:
        """The value as bytes (for binary data, e.g. a keystore)."""
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"SecretData(keys={sorted(self._values)!r}, values='***')"

    __str__ = __repr__


def read_secret(client: KubeClient, namespace: str, name: str) -> SecretData:
    """The decoded data of Secret `namespace/name`; ClusterError if it does not exist."""
    return SecretData(_decode(_read(client, namespace, name).get("data") or {}))


def apply_secret(
    client: KubeClient,
    namespace: str,
    name: str,
    data: Mapping[str, str | bytes],
    labels: Mapping[str, str] | None = None,
    type_: str = "Opaque",
    field_manager: str = FIELD_MANAGER,
) -> Applied:
    """Server-side apply the whole Secret: keys and labels this field manager applied before and
    that are left out now are removed, as with any apply."""
    manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "type": type_,
        "data": {key: _encode(value) for key, value in data.items()},
    }
    return apply(client, [manifest], field_manager)[0]


def update_secret(
    client: KubeClient,
    namespace: str,
    name: str,
    changes: Mapping[str, str | bytes],
    field_manager: str = FIELD_MANAGER,
) -> Applied:
    """Replace some keys of an existing Secret, keeping its other keys, labels and type.

    For credential rotation: the `<cluster>-cloud-config` identity Secret gets a new clouds.yaml,
    the add-on carrier a new cloud.conf, and nothing else about them changes.
    """
    current = _read(client, namespace, name)
    data: dict[str, str | bytes] = dict(_decode(current.get("data") or {}))
    data.update(changes)
    metadata = current.get("metadata") or {}
    return apply_secret(
        client,
        namespace,
        name,
        data,
        labels=metadata.get("labels") or {},
        type_=str(current.get("type") or "Opaque"),
        field_manager=field_manager,
    )


def _read(client: KubeClient, namespace: str, name: str) -> dict[str, Any]:
    found = client.get("v1", "Secret", name, namespace)
    if found is None:
        raise ClusterError(f"Secret {namespace}/{name} does not exist")
    return found


def _decode(data: Mapping[str, str]) -> dict[str, bytes]:
    return {key: base64.b64decode(value or "") for key, value in data.items()}


def _encode(value: str | bytes) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(raw).decode("ascii")
