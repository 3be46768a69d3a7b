"""`kaas cluster create`: settings to a running cluster and a merged kubeconfig (design.md 2a-f).

Steps, each reported: `cloud` (facts, read only), `app-credential`, `apply` (server-side apply of
every rendered object), `prune` (add-ons no longer rendered), `cluster` (wait for Available),
`kubeconfig` (merged into the user's file, 0600).

Idempotent: a re-run applies the same objects (reported unchanged) and reuses the credential.
Keystone never shows a secret twice, so the current credential is the one in the cluster's
identity Secret in the management cluster: it is reused while it is still the owner's (one
that fails to log in stops the create, see `current_credential`). Without one (first run, a
Secret lost, a credential deleted by hand) a new one is made and any other credential of the
cluster deleted: nothing can use a credential whose secret no Secret holds. So there is never
more than one credential per cluster.

Everything that can fail on bad input or a missing cloud resource is checked before the first
write (facts, the Cluster's ownership, the credential in the Secret). A dry run does only those
reads and compares the render with what the management cluster holds.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes.client.exceptions import ApiException
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError, ClusterError, KaasError
from scs_kaas.kube import kubeconfig
from scs_kaas.kube.apply import Applied, ObjectRef, apply, apply_order, prune
from scs_kaas.kube.client import KubeClient, describe
from scs_kaas.kube.wait import condition_is, wait_for
from scs_kaas.openstack.app_credentials import CredentialOwner, owned_app_credentials
from scs_kaas.openstack.endpoint import connect_app_credential
from scs_kaas.render.addons.objects import ADDON_LABEL
from scs_kaas.render.cluster import NO_FILES, render_cluster
from scs_kaas.render.credentials import AppCredentialSecret, placeholder_identity
from scs_kaas.render.facts import CloudFacts
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster_delete import ClusterTarget, owned_cluster
from scs_kaas.workflows.cluster_facts import resolve_facts
from scs_kaas.workflows.identity import cluster_identity
from scs_kaas.workflows.mgmt import Progress, StepEvent, quiet
from scs_kaas.workflows.mgmt_state import MgmtState

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 1800.0
AVAILABLE = "Available"
# Shown while waiting: the Cluster's v1beta2 conditions in the order they usually turn True.
MILESTONES = (
    "InfrastructureReady",
    "ControlPlaneInitialized",
    "ControlPlaneAvailable",
    "WorkersAvailable",
    AVAILABLE,
)


@dataclass(frozen=True)
class CreateOptions:
    timeout: float = DEFAULT_TIMEOUT
    wait: bool = True
    kubeconfig_out: Path | None = None  # None: ~/.kube/config
    # Where the management cluster calls the API from (see `management_host_cidrs`).
    api_access_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreateResult:
    """What a create did; ids and names only, never a secret."""

    cluster: str
    namespace: str
    credential_id: str
    credential: str  # created, reused or replaced
    created: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int
    pruned: tuple[str, ...]
    available: bool | None  # None: not waited for (--no-wait)
    kubeconfig: str | None
    context: str | None
    seconds: float


@dataclass(frozen=True)
class CreatePlan:
    """What a create would do (dry run): nothing written, no credential made."""

    cluster: str
    namespace: str
    credential: str  # "reuse <id>" or "create"
    create: tuple[str, ...]
    change: tuple[str, ...]
    unchanged: int
    prune: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Current:
    """The credential the identity Secret holds, if it is still usable, and the owned ids."""

    credential: AppCredentialSecret | None
    owned_ids: tuple[str, ...]

    def __repr__(self) -> str:
        return f"_Current(credential={self.credential!r}, owned_ids={self.owned_ids!r})"


def addon_selector(target: ClusterTarget) -> str:
    """The add-on objects of the cluster: what a prune may delete when no longer rendered."""
    return f"{target.selector},{ADDON_LABEL}"


def _stored_credential(
    kube: KubeClient, target: ClusterTarget, project_id: str
) -> AppCredentialSecret | None:
    """The credential in the identity Secret's clouds.yaml; None if there is none to read."""
    name = naming.identity_secret(target.name)
    try:
        found = kube.dynamic.get(
            kube.resource("v1", "Secret"),
            name=name,
            namespace=target.namespace,
            _request_timeout=kube.timeout,
        ).to_dict()
    except ApiException as error:
        if error.status == 404:
            return None
        raise ClusterError(
            f"reading Secret {target.namespace}/{name} failed: HTTP {error.status}"
        ) from None
    except urllib3.exceptions.HTTPError as error:
        raise ClusterError(
            f"reading Secret {target.namespace}/{name} failed: {describe(error)}"
        ) from None
    try:
        text = base64.b64decode((found.get("data") or {}).get("clouds.yaml", "")).decode()
        for entry in (yaml.safe_load(text) or {}).get("clouds", {}).values():
            auth = entry.get("auth") or {}
            return AppCredentialSecret(
                id=str(auth["application_credential_id"]),
                secret=str(auth["application_credential_secret"]),
                project_id=project_id,
            )
    except (ValueError, yaml.YAMLError, KeyError, AttributeError, TypeError):
        # The content is never quoted: it holds the secret.
        log.warning("Secret %s/%s holds no usable clouds.yaml", target.namespace, name)
    return None


def current_credential(conn: Connection, kube: KubeClient, target: ClusterTarget) -> _Current:
    """Read only: the credential in force, if its Secret holds it and it still logs in.

    A credential Keystone still has that fails to log in is an error, not a reason to replace
    it here: the failure may be passing (Keystone unreachable), and a running cluster would
    need its CCM and CSI restarted, which `kaas cluster rotate-credentials` does.
    """
    owned = owned_app_credentials(conn, CredentialOwner(target.prefix, target.name))
    owned_ids = tuple(c.id for c in owned)
    stored = _stored_credential(kube, target, str(conn.current_project_id))
    if stored is None or stored.id not in owned_ids:
        return _Current(None, owned_ids)
    try:
        connect_app_credential(conn, stored).close()
    except KaasError as error:
        raise CloudError(
            f"{error}; it is the credential in Secret {target.namespace}/"
            f"{naming.identity_secret(target.name)}: nothing was changed. If the cloud answers "
            f"otherwise, `kaas cluster rotate-credentials {target.name}` gives the cluster a "
            "new one"
        ) from None
    return _Current(stored, owned_ids)


def management_host_cidrs(state: MgmtState) -> tuple[str, ...]:
    """The management host's floating IP while its kind cluster manages the clusters: CAPI
    calls each cluster's API from there, so a restricted API must let it in (R1 #246)."""
    if state.moved_to is not None or not state.floating_ip_address:
        return ()
    return (f"{state.floating_ip_address}/32",)


def _check_before_writes(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    target: ClusterTarget,
    progress: Progress,
    api_access_cidrs: tuple[str, ...] = (),
) -> tuple[CloudFacts, _Current]:
    progress(StepEvent("cloud", "start", "external network, flavors, node images"))
    facts = resolve_facts(conn, settings, api_access_cidrs)
    progress(StepEvent("cloud", "exists", f"external network {facts.external_network_id}"))
    found = owned_cluster(kube, target)  # a Cluster of that name that is not ours stops here
    if found is not None and (found.get("metadata") or {}).get("deletionTimestamp"):
        raise ClusterError(
            f"Cluster {target} is being deleted; run `kaas cluster delete {target.name}` to "
            "see it through, then create it again"
        )
    return facts, current_credential(conn, kube, target)


def create_cluster(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    cluster: str,
    files: Mapping[str, str] = NO_FILES,
    options: CreateOptions = CreateOptions(),
    progress: Progress = quiet,
) -> CreateResult:
    """Create or converge the cluster; see the module docstring for the steps."""
    started = time.monotonic()
    target = ClusterTarget(settings.prefix, settings.namespace_for(cluster), cluster)
    facts, current = _check_before_writes(
        conn, kube, settings, target, progress, options.api_access_cidrs
    )

    progress(StepEvent("app-credential", "start", naming.app_credential(target.prefix, cluster)))
    made = cluster_identity(conn, settings, cluster, known=current.credential, replace=True)
    credential = made.credential
    how = _credential_outcome(current, credential.id)
    progress(StepEvent("app-credential", "exists" if how == "reused" else "created", credential.id))

    documents = render_cluster(cluster, settings, facts, made.identity, files)
    progress(StepEvent("apply", "start", f"{len(documents)} objects to {target.namespace}"))
    applied = apply(kube, documents)
    created, changed = _named(applied, "created"), _named(applied, "changed")
    unchanged = len(applied) - len(created) - len(changed)
    phase = "created" if created else "changed" if changed else "exists"
    progress(
        StepEvent(
            "apply", phase, f"{len(created)} new, {len(changed)} changed, {unchanged} unchanged"
        )
    )

    progress(StepEvent("prune", "start", "add-ons no longer in the settings"))
    pruned = tuple(
        str(ref) for ref in prune(kube, target.namespace, addon_selector(target), documents)
    )
    progress(StepEvent("prune", "deleted" if pruned else "skipped", ", ".join(pruned) or "none"))

    available: bool | None = None
    path: str | None = None
    context: str | None = None
    if options.wait:
        _wait_available(kube, target, _left(started, options.timeout), progress)
        available = True
        out = options.kubeconfig_out or Path.home() / ".kube" / "config"
        progress(StepEvent("kubeconfig", "start", str(out)))
        context = kubeconfig.merge_into_file(kube, target.namespace, cluster, out)
        path = str(out)
        progress(StepEvent("kubeconfig", "changed", f"context {context} in {out}"))
    return CreateResult(
        cluster,
        target.namespace,
        credential.id,
        how,
        created,
        changed,
        unchanged,
        pruned,
        available,
        path,
        context,
        round(time.monotonic() - started, 3),
    )


def _credential_outcome(current: _Current, used_id: str) -> str:
    if current.credential is not None and current.credential.id == used_id:
        return "reused"
    return "replaced" if current.owned_ids else "created"


def _named(applied: list[Applied], action: str) -> tuple[str, ...]:
    return tuple(
        str(
            ObjectRef.of(
                {
                    "apiVersion": a.api_version,
                    "kind": a.kind,
                    "metadata": {"name": a.name, "namespace": a.namespace},
                }
            )
        )
        for a in applied
        if a.action == action
    )


def _left(started: float, timeout: float) -> float:
    return max(1.0, started + timeout - time.monotonic())


def describe_conditions(cluster: Mapping[str, Any]) -> str:
    """The milestones reached and the first not yet, with its reason (for the progress line)."""
    conditions = {c.get("type"): c for c in (cluster.get("status") or {}).get("conditions") or []}
    reached = [name for name in MILESTONES if (conditions.get(name) or {}).get("status") == "True"]
    pending = next((name for name in MILESTONES if name not in reached), None)
    text = ", ".join(reached) or "no condition True yet"
    if pending is not None and pending in conditions:
        reason = conditions[pending].get("reason")
        text += f"; waiting for {pending}" + (f" ({reason})" if reason else "")
    return text


def _wait_available(
    kube: KubeClient, target: ClusterTarget, timeout: float, progress: Progress
) -> None:
    progress(StepEvent("cluster", "start", f"Cluster {target}: waiting for {AVAILABLE}"))
    last = ""

    def report(kind: str, obj: Mapping[str, Any]) -> None:
        nonlocal last
        shown = describe_conditions(obj)
        if kind != "DELETED" and shown != last:
            last = shown
            progress(StepEvent("cluster", "start", f"Cluster {target}: {shown}"))

    wait_for(
        kube,
        CLUSTER_API,
        "Cluster",
        target.name,
        target.namespace,
        condition_is(AVAILABLE),
        timeout,
        report,
    )
    progress(StepEvent("cluster", "exists", f"Cluster {target} is {AVAILABLE}"))


def plan_cluster_create(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    cluster: str,
    files: Mapping[str, str] = NO_FILES,
    api_access_cidrs: tuple[str, ...] = (),
) -> CreatePlan:
    """Read only: the same checks as a create, then the render compared with what is there.

    With a reusable credential the render holds it, so the comparison is exact; otherwise the
    identity Secret and the cloud-config carrier are rendered with placeholders and reported
    as changing, which they will (a new credential).
    """
    target = ClusterTarget(settings.prefix, settings.namespace_for(cluster), cluster)
    facts, current = _check_before_writes(conn, kube, settings, target, quiet, api_access_cidrs)
    notes: list[str] = []
    if current.credential is not None:
        identity = cluster_identity(conn, settings, cluster, known=current.credential).identity
        credential = f"reuse {current.credential.id}"
    else:
        identity = placeholder_identity(settings.cloud)
        credential = "create"
        if current.owned_ids:
            notes.append(
                f"credential(s) {', '.join(current.owned_ids)} would be replaced: no Secret "
                "holds a secret of theirs that still logs in"
            )
    documents = render_cluster(cluster, settings, facts, identity, files)
    create: list[str] = []
    change: list[str] = []
    for manifest in apply_order(documents):
        verdict = compare_with_live(kube, manifest)
        if verdict == "create":
            create.append(str(ObjectRef.of(manifest)))
        elif verdict == "change":
            change.append(str(ObjectRef.of(manifest)))
    gone = _prunable(kube, target, documents)
    unchanged = len(documents) - len(create) - len(change)
    return CreatePlan(
        cluster,
        target.namespace,
        credential,
        tuple(create),
        tuple(change),
        unchanged,
        gone,
        tuple(notes),
    )


def compare_with_live(kube: KubeClient, manifest: Mapping[str, Any]) -> str:
    """ "create" if absent, "change" if any rendered field differs from the live object, else
    "unchanged" (fields the server or controllers added are not ours and do not count)."""
    ref = ObjectRef.of(manifest)
    resource = kube.resource(str(manifest["apiVersion"]), str(manifest["kind"]))
    namespace = ref.namespace if resource.namespaced else None
    try:
        live = kube.dynamic.get(
            resource, name=ref.name, namespace=namespace, _request_timeout=kube.timeout
        ).to_dict()
    except ApiException as error:
        if error.status == 404:
            return "create"
        raise ClusterError(f"reading {ref} failed: {describe(error)}") from None
    except urllib3.exceptions.HTTPError as error:
        raise ClusterError(f"reading {ref} failed: {describe(error)}") from None
    return "unchanged" if contained(manifest, live) else "change"


def contained(wanted: Any, live: Any) -> bool:
    if isinstance(wanted, Mapping):
        return isinstance(live, Mapping) and all(
            contained(value, live.get(key)) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(live, list)
            and len(wanted) == len(live)
            and all(contained(w, v) for w, v in zip(wanted, live, strict=True))
        )
    return bool(wanted == live)


def _prunable(
    kube: KubeClient, target: ClusterTarget, documents: list[dict[str, Any]]
) -> tuple[str, ...]:
    """What `prune` would delete: our add-on objects of the cluster no longer rendered."""
    return tuple(
        str(ref)
        for ref in prune(kube, target.namespace, addon_selector(target), documents, dry_run=True)
    )
