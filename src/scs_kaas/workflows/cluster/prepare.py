"""What `kaas cluster create` reads and checks before its first write, shared with its dry run
(`create.plan`), `kaas cluster diff` and `kaas cluster upgrade`: the API versions the
management cluster serves, the cloud's facts, the Cluster's ownership and the credential in
force; and the add-ons a create would prune.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError, ClusterError, KaasError
from scs_kaas.kube.apply import prune
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.served import served_apis
from scs_kaas.openstack.app_credentials import CredentialOwner, owned_app_credentials
from scs_kaas.openstack.endpoint import connect_app_credential
from scs_kaas.render.addons.objects import ADDON_LABEL
from scs_kaas.render.capo_versions import choose_management_facts, helm_chart_proxy_versions
from scs_kaas.render.cluster import NO_FILES, render_cluster
from scs_kaas.render.credentials import AppCredentialSecret, placeholder_identity
from scs_kaas.render.facts import CloudFacts, ManagementFacts
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster.facts import resolve_facts
from scs_kaas.workflows.cluster.names import check_capo_network
from scs_kaas.workflows.cluster.server_groups import existing_server_groups
from scs_kaas.workflows.cluster.target import ClusterTarget, owned_cluster
from scs_kaas.workflows.cluster.upgrade_guard import refuse_version_change
from scs_kaas.workflows.mgmt.state import MgmtState
from scs_kaas.workflows.progress import Progress, StepEvent

log = logging.getLogger(__name__)


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


def prunable_addons(
    kube: KubeClient, target: ClusterTarget, documents: list[dict[str, Any]]
) -> tuple[str, ...]:
    """What `prune` would delete: our add-on objects of the cluster no longer rendered."""
    return tuple(
        str(ref)
        for ref in prune(kube, target.namespace, addon_selector(target), documents, dry_run=True)
    )
