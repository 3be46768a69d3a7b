"""A workload cluster's admin kubeconfig: read from the management cluster, merged for the user.

Cluster API keeps it in the Secret `<cluster>-kubeconfig` (key `value`), with the names R1 used
as well: cluster `<cluster>`, user `<cluster>-admin`, context `<cluster>-admin@<cluster>`. The
merge renames the entries to those names whatever the Secret says, so a later merge of the same
cluster replaces them (a new CA or client certificate after a re-creation) and never adds a
second copy.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

from scs_kaas.errors import ClusterError
from scs_kaas.files import write_atomic
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.secrets import read_secret

_SECTIONS = (("clusters", "cluster"), ("users", "user"), ("contexts", "context"))


def names(cluster: str) -> dict[str, str]:
    """The cluster, user and context names a workload cluster gets in a kubeconfig."""
    return {
        "cluster": cluster,
        "user": f"{cluster}-admin",
        "context": f"{cluster}-admin@{cluster}",
    }


def secret_name(cluster: str) -> str:
    return f"{cluster}-kubeconfig"


def read_admin_kubeconfig(client: KubeClient, namespace: str, cluster: str) -> SecretStr:
    """The admin kubeconfig Cluster API wrote for `cluster`, held in memory as a secret."""
    data = read_secret(client, namespace, secret_name(cluster))
    if "value" not in data:
        raise ClusterError(f"Secret {namespace}/{secret_name(cluster)} has no key 'value'")
    return SecretStr(data["value"])


def merge(existing: Mapping[str, Any], incoming: Mapping[str, Any], cluster: str) -> dict[str, Any]:
    """`existing` with the cluster, user and context of `incoming` added under the names of
    `cluster` (replacing entries of those names); everything else in `existing` kept.

    The current context is set only when `existing` has none.
    """
    source = _single(incoming)
    wanted = names(cluster)
    merged = copy.deepcopy(dict(existing))
    merged.setdefault("apiVersion", "v1")
    merged.setdefault("kind", "Config")
    for section, key in _SECTIONS:
        entries = [e for e in merged.get(section) or [] if e.get("name") != wanted[key]]
        body = copy.deepcopy(source[key])
        if key == "context":
            body.update(cluster=wanted["cluster"], user=wanted["user"])
        merged[section] = [*entries, {"name": wanted[key], key: body}]
    if not merged.get("current-context"):
        merged["current-context"] = wanted["context"]
    return merged


def merge_into_file(
    client: KubeClient, namespace: str, cluster: str, path: Path | None = None
) -> str:
    """Merge `cluster`'s admin kubeconfig into the kubeconfig at `path` (default
    ~/.kube/config, created if absent), written atomically with mode 0600. Returns the context."""
    path = path or Path.home() / ".kube" / "config"
    incoming = _parse(
        read_admin_kubeconfig(client, namespace, cluster).get_secret_value(),
        f"Secret {namespace}/{secret_name(cluster)}",
    )
    existing: Mapping[str, Any] = {}
    if path.exists():
        existing = _parse(path.read_text(encoding="utf-8"), str(path)) or {}
    merged = merge(existing, incoming, cluster)
    write_atomic(path, yaml.safe_dump(merged, sort_keys=False), mode=0o600)
    return names(cluster)["context"]


def _single(kubeconfig: Mapping[str, Any]) -> dict[str, Any]:
    """The cluster, user and context of a kubeconfig's current context."""
    try:
        current = kubeconfig.get("current-context") or kubeconfig["contexts"][0]["name"]
        context = _named(kubeconfig, "contexts", current)["context"]
        return {
            "cluster": _named(kubeconfig, "clusters", context["cluster"])["cluster"],
            "user": _named(kubeconfig, "users", context["user"])["user"],
            "context": dict(context),
        }
    except (KeyError, IndexError, TypeError, StopIteration):
        # Which key was missing could be told, but the message must not quote the content.
        raise ClusterError("the workload cluster's kubeconfig is incomplete") from None


def _named(kubeconfig: Mapping[str, Any], section: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in kubeconfig[section] if e["name"] == name)
    return found


def _parse(text: str, origin: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ClusterError(f"{origin} is not valid YAML; left unchanged") from None
    if loaded is not None and not isinstance(loaded, dict):
        raise ClusterError(f"{origin} is not a kubeconfig; left unchanged")
    return loaded or {}
