"""`kaas cluster diff` (`run`: the render a create would apply, see plan.py) and what an apply
of rendered objects would change, field by field (also for `kaas cluster create --dry-run`).

Like `kubectl diff`: every rendered object is sent as a server-side apply with `dryRun=All`
(the field manager and forcing of a real create), so defaulting, the providers' mutating and
validating webhooks and the merge with fields others own are all the server's; nothing is
stored. The answer is compared with the live object without what no apply writes (status,
resourceVersion, managedFields, ...). A Secret's values are never shown, only whether each
changes.

An object in a namespace that does not exist yet cannot be dry-run (the server answers 404):
it is shown as created, as rendered.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from openstack.connection import Connection

from scs_kaas.errors import NotFound
from scs_kaas.kube.apply import ObjectRef, apply_order
from scs_kaas.kube.client import KubeClient
from scs_kaas.render.cluster import NO_FILES
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster.plan import render_as_create_would

# What the server writes and no apply does: never a difference worth showing.
IGNORED_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp")
HIDDEN = "(hidden)"
HIDDEN_CHANGED = "(hidden, changed)"


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any  # None: not there before
    new: Any  # None: removed


@dataclass(frozen=True)
class ObjectDiff:
    object: str
    action: str  # create or change
    fields: tuple[FieldChange, ...]
    unified: str


def comparable(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    """`obj` without status and the metadata the server keeps (pure)."""
    if obj is None:
        return {}
    kept = {k: v for k, v in obj.items() if k != "status"}
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in IGNORED_METADATA}
    kept["metadata"] = metadata
    return kept


def mask_secret(
    live: dict[str, Any], result: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Secret's values replaced: HIDDEN where unchanged, HIDDEN_CHANGED where not (pure)."""
    masked_live, masked_result = dict(live), dict(result)
    for key in ("data", "stringData"):
        old, new = live.get(key) or {}, result.get(key) or {}
        if old:
            masked_live[key] = dict.fromkeys(old, HIDDEN)
        if new:
            masked_result[key] = {
                k: HIDDEN if old.get(k) == v else HIDDEN_CHANGED for k, v in new.items()
            }
    return masked_live, masked_result


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """Every leaf that differs, by path such as spec.template.spec.flavor (pure)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[FieldChange] = []
        for key in sorted(set(old) | set(new), key=str):
            child = f"{path}.{key}" if path else str(key)
            changes += field_changes(old.get(key), new.get(key), child)
        return changes
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        changes = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            changes += field_changes(a, b, f"{path}[{index}]")
        return changes
    return [] if old == new else [FieldChange(path, old, new)]


def unified(ref: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    before = yaml.safe_dump(dict(old), sort_keys=True).splitlines() if old else []
    after = yaml.safe_dump(dict(new), sort_keys=True).splitlines()
    lines = difflib.unified_diff(before, after, f"live {ref}", f"applied {ref}", lineterm="")
    return "\n".join(lines)


def _dry_run_apply(kube: KubeClient, manifest: Mapping[str, Any]) -> tuple[Any, Any]:
    """(live object or None, what the server would store)."""
    ref = ObjectRef.of(manifest)
    api_version, kind = str(manifest["apiVersion"]), str(manifest["kind"])
    namespace = ref.namespace if kube.namespaced(api_version, kind) else None
    failed = f"dry-run apply of {ref}"
    live = kube.get(api_version, kind, ref.name, namespace, action=failed)
    try:
        result = kube.apply(manifest, dry_run=True, action=failed)
    except NotFound:
        if live is not None or not namespace:
            raise
        result = dict(manifest)  # its namespace is still to be made: nothing to ask
    return live, result


def diff_documents(kube: KubeClient, documents: Sequence[Mapping[str, Any]]) -> list[ObjectDiff]:
    """The objects an apply of `documents` would create or change (server-side dry runs).

    A new machine template (templates are named after a hash of their spec) is compared with
    the one it replaces, the one the live referrer names, so a changed flavor shows as the
    field `spec.template.spec.flavor`, not only as a new name."""
    diffs = []
    would_store: dict[tuple[str, str], dict[str, Any]] = {}
    for manifest in apply_order(documents):
        ref = str(ObjectRef.of(manifest))
        live, result = _dry_run_apply(kube, manifest)
        old, new = comparable(live), comparable(result)
        if manifest.get("kind") == "Secret":
            old, new = mask_secret(old, new)
        would_store[(str(manifest["kind"]), str(manifest["metadata"]["name"]))] = new
        if live is None:
            diffs.append(ObjectDiff(ref, "create", (), unified(ref, {}, new)))
            continue
        changes = field_changes(old, new)
        if changes:
            diffs.append(ObjectDiff(ref, "change", tuple(changes), unified(ref, old, new)))
    return [_against_predecessor(kube, d, diffs, documents, would_store) for d in diffs]


def _against_predecessor(
    kube: KubeClient,
    found: ObjectDiff,
    diffs: Sequence[ObjectDiff],
    documents: Sequence[Mapping[str, Any]],
    would_store: Mapping[tuple[str, str], dict[str, Any]],
) -> ObjectDiff:
    """A created template with the fields that differ from the template it replaces."""
    if found.action != "create":
        return found
    kind, _, name = found.object.partition(" ")
    kind = kind.split(".")[0]
    name = name.rpartition("/")[2]
    replaced = [
        change.old
        for other in diffs
        for change in other.fields
        if change.path.endswith(("infrastructureRef.name", "configRef.name"))
        and change.new == name
        and isinstance(change.old, str)
    ]
    if not replaced:
        return found
    manifest = next(d for d in documents if d["metadata"]["name"] == name and d["kind"] == kind)
    namespace = manifest["metadata"].get("namespace")
    previous = kube.get(str(manifest["apiVersion"]), kind, replaced[0], namespace)
    if previous is None:
        return found  # the old one is gone: nothing to compare with
    old = comparable(previous)
    new = would_store[(kind, name)]
    changes = field_changes(old.get("spec"), new.get("spec"), "spec")
    text = unified(f"{found.object} (replacing {replaced[0]})", old, new)
    return ObjectDiff(found.object, "create", tuple(changes), text)


@dataclass(frozen=True)
class DiffResult:
    cluster: str
    namespace: str
    objects: tuple[ObjectDiff, ...]
    unchanged: int
    notes: tuple[str, ...]


def run(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    cluster: str,
    files: Mapping[str, str] = NO_FILES,
    api_access_cidrs: tuple[str, ...] = (),
) -> DiffResult:
    """Read only: like the plan, but also across a version change (which a create refuses)."""
    planned = render_as_create_would(
        conn, kube, settings, cluster, files, api_access_cidrs, guard=False
    )
    diffs = diff_documents(kube, planned.documents)
    return DiffResult(
        cluster,
        planned.target.namespace,
        tuple(diffs),
        len(planned.documents) - len(diffs),
        tuple(planned.notes),
    )
