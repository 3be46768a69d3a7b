"""`kaas mgmt move --to CLUSTER`: management moves from the kind cluster onto a workload cluster.

The pivot of the Cluster API book, for the clusters of one environment (prefix):

1. plan (read only): the target is a cluster of this prefix and Available; every namespace
   holding a cluster of the prefix moves whole (that is how clusterctl moves), so a namespace
   that also holds a cluster of somebody else is refused;
2. the target's admin kubeconfig is read from its Secret and kept in memory;
3. ORC and the providers are installed on the target with the same pins as on the management
   host (`clusterctl init`, skipped when the target has them already: a re-run after an
   interruption goes on from there);
4. `clusterctl move` per namespace (clusterctl refuses paused clusters: checked before step 2);
5. verified: the target now holds every cluster of the prefix, the source none.

The caller stores the target's kubeconfig (0600) and records the move, so later commands
target the new management cluster.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr, TypeAdapter, ValidationError

from scs_kaas import naming
from scs_kaas.errors import ClusterError, KaasError, SettingProblem, SettingsError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.clusterctl import Clusterctl, Kubeconfig, ProviderPins, in_memory_kubeconfig
from scs_kaas.kube.kubeconfig import read_admin_kubeconfig
from scs_kaas.settings.fields import ClusterName
from scs_kaas.workflows import defaults
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

CLUSTER_API_VERSION = "cluster.x-k8s.io/v1beta2"
ORC_MANIFEST_URL = defaults.ORC_MANIFEST_URL
# CAPO's namespace: present once `clusterctl init` has installed the providers (as on the host).
PROVIDERS_NAMESPACE = "capo-system"
FETCH_TIMEOUT = 60.0
PAUSED_ANNOTATION = "cluster.x-k8s.io/paused"


def check_cluster_name(name: str) -> str:
    """`--to` is a cluster name: rejected before anything is contacted when it cannot be one."""
    try:
        return TypeAdapter(ClusterName).validate_python(name)
    except ValidationError as error:
        message = error.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise SettingsError([SettingProblem("--to", message, repr(name), "flag --to")]) from error


@dataclass(frozen=True)
class MovePlan:
    prefix: str
    target: str
    target_namespace: str
    namespaces: tuple[str, ...]
    clusters: tuple[str, ...]  # "namespace/name" of every cluster that moves
    notes: tuple[str, ...] = field(default=())


def plan(source: KubeClient, prefix: str, target: str) -> MovePlan:
    """What moves where; reads the source management cluster only."""
    ours = _clusters(source, f"{naming.LABEL_PREFIX}={prefix}")
    matches = [c for c in ours if c["metadata"]["name"] == target]
    if not matches:
        known = ", ".join(sorted(_key(c) for c in ours)) or "none"
        raise ClusterError(
            f"no cluster {target!r} of prefix {prefix!r} in the management cluster at "
            f"{source.server} (clusters of this prefix: {known})"
        )
    if len(matches) > 1:
        raise ClusterError(
            f"cluster name {target!r} is used in several namespaces: "
            + ", ".join(sorted(_key(c) for c in matches))
        )
    chosen = matches[0]
    if not _condition_true(chosen, "Available"):
        raise ClusterError(
            f"cluster {_key(chosen)} is not Available yet: a management cluster must be up "
            "before the others move onto it (`kubectl get cluster -A` shows why)"
        )
    target_namespace = chosen["metadata"]["namespace"]
    # The target's own namespace last: until then a re-run after an interruption finds it here.
    others = sorted({c["metadata"]["namespace"] for c in ours} - {target_namespace})
    namespaces = (*others, target_namespace)
    foreign = [
        _key(c)
        for c in _clusters(source, None)
        if c["metadata"]["namespace"] in namespaces
        and (c["metadata"].get("labels") or {}).get(naming.LABEL_PREFIX) != prefix
    ]
    if foreign:
        raise ClusterError(
            "clusterctl moves whole namespaces, and these clusters of other owners share a "
            f"namespace with clusters of prefix {prefix!r}: {', '.join(sorted(foreign))}"
        )
    return MovePlan(
        prefix,
        target,
        target_namespace,
        namespaces,
        tuple(sorted(_key(c) for c in ours)),
    )


def load_manifests(source: str, timeout: float = FETCH_TIMEOUT) -> list[dict[str, Any]]:
    """The YAML documents at an https URL or in a local file (an air-gapped mirror)."""
    try:
        if source.startswith(("https://", "http://")):
            with urllib.request.urlopen(source, timeout=timeout) as response:  # noqa: S310
                text = response.read().decode("utf-8")
        else:
            text = Path(source).read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        raise KaasError(f"cannot read the ORC manifests from {source}: {error}") from error
    try:
        documents = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as error:
        raise KaasError(f"the ORC manifests at {source} are not valid YAML: {error}") from error
    if not all(isinstance(d, dict) and d.get("kind") for d in documents):
        raise KaasError(f"{source} holds something other than Kubernetes objects")
    return documents


def run(
    source: KubeClient,
    source_kubeconfig: Kubeconfig,
    plan: MovePlan,
    clusterctl: Clusterctl,
    orc_manifests: list[dict[str, Any]],
    progress: Progress = quiet,
    pins: ProviderPins = ProviderPins(),  # noqa: B008 -- frozen, so sharing it is safe
) -> SecretStr:
    """Move the plan's clusters onto its target; returns the target's admin kubeconfig."""
    _refuse_paused(source, plan)
    progress(StepEvent("kubeconfig", "start", f"{plan.target_namespace}/{plan.target}"))
    text = read_admin_kubeconfig(source, plan.target_namespace, plan.target)
    origin = f"the admin kubeconfig of {plan.target_namespace}/{plan.target}"
    target = KubeClient.from_text(text.get_secret_value(), origin=origin)
    progress(StepEvent("kubeconfig", "exists", target.server))
    with target, in_memory_kubeconfig(text) as (target_kubeconfig, descriptor):
        progress(StepEvent("orc", "start", f"{len(orc_manifests)} objects"))
        applied = apply(target, orc_manifests)
        changed = sum(1 for a in applied if a.action != "unchanged")
        progress(StepEvent("orc", "changed" if changed else "exists", f"{changed} changed"))
        providers = f"CAPI {pins.cluster_api}, CAPO {pins.capo}, CAAPH {pins.caaph}"
        if _has_namespace(target, PROVIDERS_NAMESPACE):
            progress(StepEvent("providers", "exists", providers))
        else:
            progress(StepEvent("providers", "start", providers))
            clusterctl.init(target_kubeconfig, pins, fds=(descriptor,))
            progress(StepEvent("providers", "created", providers))
        for namespace in plan.namespaces:
            progress(StepEvent(f"move {namespace}", "start", "clusterctl move"))
            clusterctl.move(source_kubeconfig, target_kubeconfig, namespace, fds=(descriptor,))
            progress(StepEvent(f"move {namespace}", "changed", "moved"))
        _verify(source, target, plan)
    progress(StepEvent("verify", "exists", f"{len(plan.clusters)} clusters on {plan.target}"))
    return text


def _refuse_paused(source: KubeClient, plan: MovePlan) -> None:
    """clusterctl refuses to move a namespace holding a paused Cluster (after it may already
    have moved other namespaces): say so before anything moves."""
    paused = sorted(
        _key(c)
        for c in _clusters(source, f"{naming.LABEL_PREFIX}={plan.prefix}")
        if c["metadata"]["namespace"] in plan.namespaces
        and (
            (c.get("spec") or {}).get("paused")
            or PAUSED_ANNOTATION in (c["metadata"].get("annotations") or {})
        )
    )
    if paused:
        raise ClusterError(
            f"clusterctl does not move paused clusters: {', '.join(paused)} "
            "(spec.paused or the cluster.x-k8s.io/paused annotation); resume them, then run "
            "`kaas mgmt move` again"
        )


def _verify(source: KubeClient, target: KubeClient, plan: MovePlan) -> None:
    selector = f"{naming.LABEL_PREFIX}={plan.prefix}"
    left = sorted(_key(c) for c in _clusters(source, selector))
    arrived = sorted(_key(c) for c in _clusters(target, selector))
    missing = sorted(set(plan.clusters) - set(arrived))
    if left or missing:
        raise ClusterError(
            "the move is incomplete: "
            + "; ".join(
                part
                for part in (
                    f"still on the source: {', '.join(left)}" if left else "",
                    f"not on {plan.target}: {', '.join(missing)}" if missing else "",
                )
                if part
            )
            + " — run `kaas mgmt move` again to continue"
        )


def _clusters(client: KubeClient, selector: str | None) -> list[dict[str, Any]]:
    return client.list(CLUSTER_API_VERSION, "Cluster", label_selector=selector)


def _has_namespace(client: KubeClient, name: str) -> bool:
    return bool(client.list("v1", "Namespace", field_selector=f"metadata.name={name}"))


def _key(cluster: Mapping[str, Any]) -> str:
    return f"{cluster['metadata']['namespace']}/{cluster['metadata']['name']}"


def _condition_true(obj: Mapping[str, Any], type_: str) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conditions)
