"""Server-side apply of rendered manifests with one field manager, and pruning of what we dropped.

What changed is told by resourceVersion: it is read before the apply and compared with the one
the apply returns. An API server writes (and bumps resourceVersion) only when an apply changes
the object, so equal versions mean unchanged. A GET per object is one more request, and it is
also the only way to tell "created" from "changed" through the dynamic client (which hides the
HTTP status). Should another writer change the object between our GET and our apply, the object
is reported as changed: true of the object, if not caused by us.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scs_kaas import naming
from scs_kaas.errors import ClusterError, Conflict
from scs_kaas.kube.client import FIELD_MANAGER, KubeClient

log = logging.getLogger(__name__)

__all__ = ["FIELD_MANAGER", "Applied", "ObjectRef", "apply", "owned_objects", "prune"]

Action = Literal["created", "changed", "unchanged"]

# Applied first: a Namespace must exist before anything in it, a CRD before its objects.
_FIRST = {"Namespace": 0, "CustomResourceDefinition": 1}
_CORE = 2  # Secrets and ConfigMaps that Cluster API objects refer to by name
_REST = 3
# Deletions tried again on a newer version of an object still ours (see `prune`).
_CONFLICT_RETRIES = 5

# What `prune` looks at: the kinds the tool renders for add-ons, deleted in this order (users
# before what they use: a HelmChartProxy before the ConfigMap it might read).
PRUNABLE: tuple[tuple[str, str], ...] = (
    # the cluster-autoscaler (render.autoscaler), users before what they use
    ("apps/v1", "Deployment"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("v1", "ServiceAccount"),
    ("addons.cluster.x-k8s.io/v1alpha1", "HelmChartProxy"),
    ("addons.cluster.x-k8s.io/v1beta2", "ClusterResourceSet"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
)


@dataclass(frozen=True, order=True)
class ObjectRef:
    """One object, by what identifies it to an API server (the version is left out on purpose:
    the same object read through another version of its API is still the same object)."""

    group: str
    kind: str
    namespace: str | None
    name: str

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> ObjectRef:
        api_version = str(manifest.get("apiVersion", ""))
        metadata = manifest.get("metadata") or {}
        group = api_version.rpartition("/")[0]
        return cls(group, str(manifest.get("kind")), metadata.get("namespace"), metadata["name"])

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"


@dataclass(frozen=True)
class Applied:
    """What one apply did to one object."""

    api_version: str
    kind: str
    namespace: str | None
    name: str
    action: Action


def apply_order(manifests: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Namespaces, CRDs, core kinds, then the rest; the render's order kept within each."""

    def rank(manifest: Mapping[str, Any]) -> int:
        kind, api_version = manifest.get("kind", ""), manifest.get("apiVersion", "")
        return _FIRST.get(kind, _CORE if "/" not in api_version else _REST)

    return sorted(manifests, key=rank)


def apply(
    client: KubeClient,
    manifests: Iterable[Mapping[str, Any]],
    field_manager: str = FIELD_MANAGER,
) -> list[Applied]:
    """Server-side apply every manifest (forcing our field manager's ownership), in dependency
    order; stops at the first failure with a ClusterError naming the object."""
    results = []
    for manifest in apply_order(manifests):
        results.append(_apply_one(client, manifest, field_manager))
    return results


def _apply_one(client: KubeClient, manifest: Mapping[str, Any], field_manager: str) -> Applied:
    api_version, kind = str(manifest["apiVersion"]), str(manifest["kind"])
    ref = ObjectRef.of(manifest)
    resource = client.resource(api_version, kind)
    namespace = ref.namespace if resource.namespaced else None
    if resource.namespaced and not namespace:
        raise ClusterError(f"{ref} has no namespace; every namespaced object needs one")
    failed = f"applying {ref}"
    before = client.get(api_version, kind, ref.name, namespace, action=failed)
    after = client.apply(manifest, field_manager=field_manager, action=failed)
    version = str(after["metadata"]["resourceVersion"])
    action: Action = (
        "created"
        if before is None
        else "unchanged"
        if str(before["metadata"]["resourceVersion"]) == version
        else "changed"
    )
    log.info("%s %s", ref, action)
    return Applied(api_version, kind, namespace, ref.name, action)


def owned_objects(
    client: KubeClient,
    namespace: str,
    label_selector: str,
    kinds: Sequence[tuple[str, str]] = PRUNABLE,
) -> list[tuple[str, ObjectRef, dict[str, Any]]]:
    """(served apiVersion, reference, object) of every object of `kinds` in `namespace` that
    matches `label_selector` and carries our `app.kubernetes.io/managed-by` label, checked again
    on each object whatever the server did with the selector."""
    owned = f"{naming.LABEL_MANAGED_BY}={naming.MANAGED_BY}"
    selector = ",".join(filter(None, [label_selector, owned]))
    found = []
    for api_version, kind in kinds:
        served = client.served_version(api_version, kind)
        listed = client.list(served, kind, namespace, label_selector=selector)
        for item in listed:
            if _ours(item, namespace):
                ref = ObjectRef.of({**item, "apiVersion": api_version, "kind": kind})
                found.append((served, ref, item))
    return found


def prune(
    client: KubeClient,
    namespace: str,
    label_selector: str,
    keep: Iterable[Mapping[str, Any]],
    kinds: Sequence[tuple[str, str]] = PRUNABLE,
    dry_run: bool = False,
) -> list[ObjectRef]:
    """Delete objects in `namespace` matching `label_selector` that are not in `keep`.

    Only objects the tool can prove it owns are touched (`owned_objects`), and each deletion is
    conditional on the object's uid and resourceVersion. An object changed since it was listed
    is read again: if it is the same object (uid) and still ours (labels), the deletion is tried
    again on that version, since controllers keep writing status (CAAPH a HelmChartProxy's, the
    moment its Cluster is gone); else it is left alone. Returns what is gone: deleted here, or
    gone already (the garbage collector deletes a ClusterResourceSet's Secrets and ConfigMaps with
    it, since CAPI makes the set their owner); with `dry_run`, what would be.
    """
    wanted = {ObjectRef.of(m) for m in keep}
    deleted = []
    for api_version, ref, item in owned_objects(client, namespace, label_selector, kinds):
        if ref in wanted:
            continue
        if dry_run or delete_while_ours(client, api_version, ref, item, label_selector):
            deleted.append(ref)
    return deleted


def delete_while_ours(
    client: KubeClient, api_version: str, ref: ObjectRef, item: Mapping[str, Any], selector: str
) -> bool:
    """True once the object listed as `item` is gone (deleted here or by someone else); False
    if it was left alone, having changed into something not proven ours."""
    metadata = item["metadata"]
    for _ in range(_CONFLICT_RETRIES):
        outcome = _attempt_delete(client, api_version, ref, metadata)
        if outcome is not None:
            return True
        fresh = _reread_owned(client, api_version, ref, selector)
        if fresh is None and client.get(api_version, ref.kind, ref.name, ref.namespace) is None:
            return True
        if fresh is None or (fresh.get("metadata") or {}).get("uid") != metadata["uid"]:
            break  # no longer ours, or another object of that name: not the one proven ours
        metadata = fresh["metadata"]
    log.warning("%s changed while pruning; left alone", ref)
    return False


def _reread_owned(
    client: KubeClient, api_version: str, ref: ObjectRef, label_selector: str
) -> dict[str, Any] | None:
    """The object now, if it still matches the selector and is ours; else None."""
    owned = f"{naming.LABEL_MANAGED_BY}={naming.MANAGED_BY}"
    listed = client.list(
        api_version,
        ref.kind,
        ref.namespace,
        label_selector=",".join(filter(None, [label_selector, owned])),
        field_selector=f"metadata.name={ref.name}",
        action=f"reading {ref}",
    )
    for found in listed:
        if _ours(found, str(ref.namespace)) and found["metadata"]["name"] == ref.name:
            return dict(found)
    return None


def _ours(item: Mapping[str, Any], namespace: str) -> bool:
    """Proof of ownership on the object itself, whatever the server did with the selector."""
    metadata = item.get("metadata") or {}
    labels = metadata.get("labels") or {}
    return labels.get(naming.LABEL_MANAGED_BY) == naming.MANAGED_BY and (
        metadata.get("namespace") == namespace
    )


def _attempt_delete(
    client: KubeClient, api_version: str, ref: ObjectRef, metadata: Mapping[str, Any]
) -> bool | None:
    """True: deleted; False: gone already; None: not this version any more (HTTP 409)."""
    try:
        deleted = client.delete(
            api_version,
            ref.kind,
            ref.name,
            ref.namespace,
            uid=str(metadata["uid"]),
            resource_version=str(metadata["resourceVersion"]),
            propagation="Background",
        )
    except Conflict:
        return None
    if deleted:
        log.info("%s deleted (no longer rendered)", ref)
    return deleted
