"""`kaas cluster create`: settings to a running cluster and a merged kubeconfig .

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
write (the API versions the management cluster serves, facts, the Cluster's ownership, the
credential in the Secret). The OpenStack objects are written in CAPO's v1beta2 API when the
management cluster serves it, else in v1beta1 (CAPO v0.14). A dry run
(`cluster/plan.py`) does only those reads and diffs the render against the management cluster.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError, ClusterError, KaasError
from scs_kaas.kube import kubeconfig
from scs_kaas.kube.apply import Applied, ObjectRef, apply, prune
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.served import served_apis
from scs_kaas.kube.wait import condition_is, wait_for
from scs_kaas.openstack.app_credentials import CredentialOwner, owned_app_credentials
from scs_kaas.openstack.endpoint import connect_app_credential
from scs_kaas.render.addons.objects import ADDON_LABEL
from scs_kaas.render.capo_versions import choose_management_facts, helm_chart_proxy_versions
from scs_kaas.render.cluster import NO_FILES, render_cluster
from scs_kaas.render.credentials import AppCredentialSecret, placeholder_identity
from scs_kaas.render.facts import CloudFacts, ManagementFacts
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.settings.model import Settings
from scs_kaas.workflows import defaults
from scs_kaas.workflows.cluster.facts import resolve_facts
from scs_kaas.workflows.cluster.identity import cluster_identity
from scs_kaas.workflows.cluster.names import check_capo_network, resolve_cluster_names
from scs_kaas.workflows.cluster.server_groups import ensure_server_groups, existing_server_groups
from scs_kaas.workflows.cluster.target import ClusterTarget, owned_cluster
from scs_kaas.workflows.cluster.upgrade_guard import refuse_version_change
from scs_kaas.workflows.mgmt.state import MgmtState
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = defaults.CLUSTER_CREATE_TIMEOUT
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
class CurrentCredential:
    """The credential the identity Secret holds, if it is still usable, and the owned ids."""

    credential: AppCredentialSecret | None
    owned_ids: tuple[str, ...]

    def __repr__(self) -> str:
        return f"CurrentCredential(credential={self.credential!r}, owned_ids={self.owned_ids!r})"


def addon_selector(target: ClusterTarget) -> str:
    """The add-on objects of the cluster: what a prune may delete when no longer rendered."""
    return f"{target.selector},{ADDON_LABEL}"


def _stored_credential(
    kube: KubeClient, target: ClusterTarget, project_id: str
) -> AppCredentialSecret | None:
    """The credential in the identity Secret's clouds.yaml; None if there is none to read."""
    name = naming.identity_secret(target.name)
    found = kube.get("v1", "Secret", name, target.namespace)
    if found is None:
        return None
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


def current_credential(
    conn: Connection, kube: KubeClient, target: ClusterTarget
) -> CurrentCredential:
    """Read only: the credential in force, if its Secret holds it and it still logs in.

    A credential Keystone still has that fails to log in is an error, not a reason to replace
    it here: the failure may be passing (Keystone unreachable), and a running cluster would
    need its CCM and CSI restarted, which `kaas cluster rotate-credentials` does.
    """
    owned = owned_app_credentials(conn, CredentialOwner(target.prefix, target.name))
    owned_ids = tuple(c.id for c in owned)
    stored = _stored_credential(kube, target, str(conn.current_project_id))
    if stored is None or stored.id not in owned_ids:
        return CurrentCredential(None, owned_ids)
    try:
        connect_app_credential(conn, stored).close()
    except KaasError as error:
        raise CloudError(
            f"{error}; it is the credential in Secret {target.namespace}/"
            f"{naming.identity_secret(target.name)}: nothing was changed. If the cloud answers "
            f"otherwise, `kaas cluster rotate-credentials {target.name}` gives the cluster a "
            "new one"
        ) from None
    return CurrentCredential(stored, owned_ids)


def management_host_cidrs(state: MgmtState) -> tuple[str, ...]:
    """The management host's floating IP while its kind cluster manages the clusters: CAPI
    calls each cluster's API from there, so a restricted API must let it in (R1 #246)."""
    if state.moved_to is not None or not state.floating_ip_address:
        return ()
    return (f"{state.floating_ip_address}/32",)


def management_facts(kube: KubeClient, documents: list[dict[str, Any]]) -> ManagementFacts:
    """Read only: the CAPO API version to write (v1beta2 if served, else v1beta1), or a
    ClusterError naming the versions the management cluster lacks for `documents`."""
    served = served_apis(kube)
    return choose_management_facts(
        openstack_cluster=served.openstack_cluster,
        openstack_machine_template=served.openstack_machine_template,
        cluster=served.cluster,
        helm_chart_proxy=served.helm_chart_proxy,
        needs_helm_chart_proxy=helm_chart_proxy_versions(documents),
        server=f"the management cluster at {served.server}",
    )


def check_before_writes(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    target: ClusterTarget,
    progress: Progress,
    api_access_cidrs: tuple[str, ...] = (),
    files: Mapping[str, str] = NO_FILES,
    guard: bool = True,
) -> tuple[CloudFacts, ManagementFacts, CurrentCredential]:
    # The kinds a render needs depend on no cloud fact and no credential: an offline one will do.
    offline = render_cluster(
        target.name, settings, CloudFacts(), placeholder_identity(settings.cloud), files
    )
    management = management_facts(kube, offline)
    progress(StepEvent("cloud", "start", "external network, flavors, node images"))
    facts = resolve_facts(conn, settings, api_access_cidrs)
    progress(StepEvent("cloud", "exists", f"external network {facts.external_network_id}"))
    found = owned_cluster(kube, target)  # a Cluster of that name that is not ours stops here
    if found is None:
        # a new cluster: CAPO would adopt a network of the name it gives the cluster's
        check_capo_network(conn, settings, target.name)
    if found is not None and (found.get("metadata") or {}).get("deletionTimestamp"):
        raise ClusterError(
            f"Cluster {target} is being deleted; run `kaas cluster delete {target.name}` to "
            "see it through, then create it again"
        )
    if guard and found is not None:  # a new version goes through `kaas cluster upgrade`
        refuse_version_change(kube, found, settings.kubernetes_version)
    # Read only: a server group of our name with another policy stops the create here.
    existing = existing_server_groups(conn, settings, target.name)
    facts = replace(facts, server_group_ids=existing)
    return facts, management, current_credential(conn, kube, target)


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
    names = resolve_cluster_names(kube, settings, cluster)
    settings = names.settings
    target = ClusterTarget(settings.prefix, settings.namespace_for(cluster), cluster)
    facts, management, current = check_before_writes(
        conn, kube, settings, target, progress, options.api_access_cidrs, files
    )
    management = replace(management, cloud_cluster_name=names.cloud_name)

    progress(StepEvent("app-credential", "start", naming.app_credential(target.prefix, cluster)))
    made = cluster_identity(conn, settings, cluster, known=current.credential, replace=True)
    credential = made.credential
    how = _credential_outcome(current, credential.id)
    progress(StepEvent("app-credential", "exists" if how == "reused" else "created", credential.id))

    facts = ensure_server_groups(conn, settings, cluster, facts, progress)
    documents = render_cluster(cluster, settings, facts, made.identity, files, management)
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


def _credential_outcome(current: CurrentCredential, used_id: str) -> str:
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


def prunable_addons(
    kube: KubeClient, target: ClusterTarget, documents: list[dict[str, Any]]
) -> tuple[str, ...]:
    """What `prune` would delete: our add-on objects of the cluster no longer rendered."""
    return tuple(
        str(ref)
        for ref in prune(kube, target.namespace, addon_selector(target), documents, dry_run=True)
    )
