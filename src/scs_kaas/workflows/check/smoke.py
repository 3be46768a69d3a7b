"""`kaas check smoke`: does the workload cluster run a web app with a volume, a load balancer
and an ingress? Each step waits (watches, with a timeout) for one thing; see
checks.smoke_steps for the steps and their exit codes, render.smoke for the objects and
smoke_cleanup.py for their removal."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scs_kaas.checks.smoke_steps import Step
from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.exec import run_in_pod
from scs_kaas.kube.wait import Object, wait_for, wait_for_selected
from scs_kaas.render import smoke
from scs_kaas.workflows.check import smoke_cleanup as cleanup
from scs_kaas.workflows.check.steps import RunReport, Skipped, StepFunction, run_steps
from scs_kaas.workflows.check.target import WorkloadAccess
from scs_kaas.workflows.progress import Progress, quiet

FIELD_MANAGER = "scs-kaas-check"
HTTP_RETRY = 2.0  # seconds between tries while a new load balancer comes up
HTTP_TIMEOUT = 5.0
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
DEFAULT_INGRESS_CLASS = "ingressclass.kubernetes.io/is-default-class"
DEFAULT_SNAPSHOT_CLASS = "snapshot.storage.kubernetes.io/is-default-class"


@dataclass(frozen=True)
class SmokeOptions:
    timeout: float = 300.0  # for each wait
    cleanup_timeout: float = 600.0  # deleting a load balancer and a volume takes a while
    keep: bool = False


@dataclass
class _State:
    workload: KubeClient | None = None
    spec: smoke.SmokeSpec = field(default_factory=smoke.SmokeSpec)
    pod: Object | None = None
    address: str = ""
    token: str = ""


def run(access: WorkloadAccess, options: SmokeOptions, progress: Progress = quiet) -> RunReport:
    state = _State()
    steps: list[tuple[Step, StepFunction]] = [
        (Step.prepare, lambda: _prepare(access, state, options)),
        (Step.deploy, lambda: _deploy(_client(state), state.spec)),
        (Step.volume, lambda: _volume(_client(state), options.timeout)),
        (Step.pod, lambda: _pod(state, options.timeout)),
        (Step.load_balancer, lambda: _load_balancer(state, options.timeout)),
        (Step.http, lambda: _http(state, options.timeout)),
        (Step.ingress, lambda: _ingress(state, options.timeout)),
        (Step.snapshot, lambda: _snapshot(state, options.timeout)),
        (Step.write, lambda: _write(state, options.timeout)),
        (Step.reschedule, lambda: _reschedule(state, options.timeout)),
        (Step.read, lambda: _read(state, options.timeout)),
    ]
    try:
        cleanup_step = None if options.keep else lambda: _cleanup(state, options)
        return run_steps(steps, cleanup_step, progress)
    finally:
        if state.workload is not None:
            state.workload.close()


def _client(state: _State) -> KubeClient:
    assert state.workload is not None  # prepare connected, or the run stopped there
    return state.workload


def _prepare(access: WorkloadAccess, state: _State, options: SmokeOptions) -> str:
    state.workload = workload = access.connect()
    cleanup.check_namespace_is_ours(workload)
    left = cleanup.remove(workload, options.cleanup_timeout)
    storage_class = _default(workload, "storage.k8s.io/v1", "StorageClass", DEFAULT_CLASS)
    if storage_class is None:
        raise ClusterError("the cluster has no default StorageClass: the claim would never bind")
    state.spec = smoke.SmokeSpec(
        ingress_class=_default(
            workload, "networking.k8s.io/v1", "IngressClass", DEFAULT_INGRESS_CLASS
        ),
        snapshot_class=_snapshot_class(workload),
    )
    found = [
        f"StorageClass {storage_class}",
        f"IngressClass {state.spec.ingress_class or '(none)'}",
        f"VolumeSnapshotClass {state.spec.snapshot_class or '(none)'}",
    ]
    if left:
        found.append(f"removed what an earlier run left: {', '.join(left)}")
    return "; ".join(found)


def _default(workload: KubeClient, api_version: str, kind: str, annotation: str) -> str | None:
    """The class marked default, else the only one; None if there is none or no way to tell."""
    items = [item["metadata"] for item in workload.list(api_version, kind)]
    names = [metadata["name"] for metadata in items]
    marked = [
        metadata["name"]
        for metadata in items
        if ((metadata.get("annotations") or {}).get(annotation) or "").lower() == "true"
    ]
    if marked:
        return str(sorted(marked)[0])
    return str(names[0]) if len(names) == 1 else None


def _snapshot_class(workload: KubeClient) -> str | None:
    if not workload.serves(cleanup.SNAPSHOT_API, "VolumeSnapshotClass"):
        return None  # the snapshot CRDs are not installed
    return _default(workload, cleanup.SNAPSHOT_API, "VolumeSnapshotClass", DEFAULT_SNAPSHOT_CLASS)


def _deploy(workload: KubeClient, spec: smoke.SmokeSpec) -> str:
    applied = apply(workload, smoke.app_objects(spec), FIELD_MANAGER)
    return ", ".join(f"{item.kind} {item.name} {item.action}" for item in applied)


def _volume(workload: KubeClient, timeout: float) -> str:
    claim = wait_for(
        workload, "v1", "PersistentVolumeClaim", smoke.CLAIM, smoke.NAMESPACE, _bound, timeout
    )
    spec = (claim or {}).get("spec") or {}
    return f"claim bound to {spec.get('volumeName')} ({spec.get('storageClassName')})"


def _bound(claim: Object | None) -> bool:
    return ((claim or {}).get("status") or {}).get("phase") == "Bound"


def _ready_pod(pods: Sequence[Object], not_uid: str | None = None) -> Object | None:
    for pod in pods:
        metadata = pod.get("metadata") or {}
        if metadata.get("deletionTimestamp") or metadata.get("uid") == not_uid:
            continue
        conditions = (pod.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            return pod
    return None


def _wait_pod(state: _State, timeout: float, not_uid: str | None = None) -> str:
    wait_for_selected(
        _client(state),
        "v1",
        "Pod",
        smoke.NAMESPACE,
        f"app.kubernetes.io/name={smoke.APP}",
        lambda pods: _ready_pod(pods, not_uid) is not None,
        timeout,
        f"a Ready pod of Deployment {smoke.NAMESPACE}/{smoke.APP}",
    )
    pods = _client(state).list(
        "v1", "Pod", smoke.NAMESPACE, label_selector=f"app.kubernetes.io/name={smoke.APP}"
    )
    state.pod = _ready_pod(pods, not_uid)
    if state.pod is None:
        raise ClusterError("the Ready pod went away at once")
    return f"pod {_name(state.pod)} Ready on node {state.pod['spec'].get('nodeName')}"


def _pod(state: _State, timeout: float) -> str:
    return _wait_pod(state, timeout)


def _name(pod: Object) -> str:
    return str(pod["metadata"]["name"])


def _address(obj: Object | None) -> str:
    ingress = (((obj or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    first = ingress[0] if ingress else {}
    return str(first.get("ip") or first.get("hostname") or "")


def _load_balancer(state: _State, timeout: float) -> str:
    found = wait_for(
        _client(state),
        "v1",
        "Service",
        smoke.APP,
        smoke.NAMESPACE,
        lambda obj: bool(_address(obj)),
        timeout,
    )
    state.address = _address(found)
    return f"Service {smoke.APP} at {state.address}"


def _http(state: _State, timeout: float) -> str:
    url = f"http://{_host(state.address)}:{smoke.SERVICE_PORT}/"
    return _answered(url, None, _name(state.pod or {}), timeout)


def _ingress(state: _State, timeout: float) -> str:
    if not state.spec.ingress_class:
        raise Skipped("no IngressClass in the cluster (no ingress controller enabled)")
    found = wait_for(
        _client(state),
        "networking.k8s.io/v1",
        "Ingress",
        smoke.APP,
        smoke.NAMESPACE,
        lambda obj: bool(_address(obj)),
        timeout,
    )
    url = f"http://{_host(_address(found))}/"
    return _answered(url, smoke.INGRESS_HOST, _name(state.pod or {}), timeout)


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _answered(url: str, host: str | None, expected: str, timeout: float) -> str:
    """GET `url` until the app answers with `expected` (the pod's name)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    headers = {"Host": host} if host else {}
    while True:
        try:
            request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http only)
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
                body = response.read(4096).decode("utf-8", "replace").strip()
            if body == expected:
                return f"{url}{f' (Host {host})' if host else ''} answered {body}"
            last = f"answered {body[:80]!r}, not the pod's name {expected!r}"
        except (urllib.error.URLError, OSError) as error:
            last = str(getattr(error, "reason", error))[:200]
        if time.monotonic() + HTTP_RETRY > deadline:
            raise ClusterError(f"{url} did not answer within {timeout:g}s (last: {last})")
        time.sleep(HTTP_RETRY)


def _snapshot(state: _State, timeout: float) -> str:
    if not state.spec.snapshot_class:
        raise Skipped("no VolumeSnapshotClass in the cluster")
    workload = _client(state)
    apply(workload, [smoke.volume_snapshot(state.spec.snapshot_class)], FIELD_MANAGER)
    found = wait_for(
        workload,
        cleanup.SNAPSHOT_API,
        "VolumeSnapshot",
        smoke.SNAPSHOT,
        smoke.NAMESPACE,
        lambda obj: bool(
            _snapshot_status(obj).get("readyToUse") or _snapshot_status(obj).get("error")
        ),
        timeout,
    )
    status = _snapshot_status(found)
    if not status.get("readyToUse"):
        raise ClusterError(f"the snapshot failed: {(status.get('error') or {}).get('message')}")
    return f"VolumeSnapshot {smoke.SNAPSHOT} ready ({status.get('restoreSize')})"


def _snapshot_status(obj: Object | None) -> dict[str, Any]:
    return dict((obj or {}).get("status") or {})


def _exec(state: _State, command: list[str], timeout: float) -> str:
    pod = _name(state.pod or {})
    result = run_in_pod(_client(state), smoke.NAMESPACE, pod, smoke.CONTAINER, command, timeout)
    if result.exit_code != 0:
        detail = (result.stderr or result.stdout).strip()[:300]
        raise ClusterError(f"{command[0]} in pod {pod} exited {result.exit_code}: {detail}")
    return result.stdout


def _write(state: _State, timeout: float) -> str:
    state.token = f"{uuid.uuid4().hex} written by {_name(state.pod or {})}"
    script = 'printf "%s" "$1" > "$2"'
    _exec(state, ["sh", "-c", script, "sh", state.token, smoke.DATA_FILE], timeout)
    return f"{smoke.DATA_FILE}: {state.token}"


def _reschedule(state: _State, timeout: float) -> str:
    old = state.pod or {}
    uid = str(old["metadata"]["uid"])
    _client(state).delete("v1", "Pod", _name(old), smoke.NAMESPACE, uid=uid)
    moved = _wait_pod(state, timeout, not_uid=uid)
    return f"{_name(old)} (node {old['spec'].get('nodeName')}) deleted; {moved}"


def _read(state: _State, timeout: float) -> str:
    found = _exec(state, ["cat", smoke.DATA_FILE], timeout)
    if found != state.token:
        raise ClusterError(f"{smoke.DATA_FILE} holds {found[:120]!r}, not {state.token!r}")
    return f"pod {_name(state.pod or {})} read {found}"


def _cleanup(state: _State, options: SmokeOptions) -> str:
    if state.workload is None:
        return "nothing to remove (the cluster was not reached)"
    removed = cleanup.remove(state.workload, options.cleanup_timeout)
    return f"removed {', '.join(removed)}" if removed else "nothing to remove"
