"""Waiting for an object to reach a state, by watching it, with one deadline for the whole wait.

The classic list-then-watch: one GET gives the current state and a resourceVersion, a watch from
that version gives every change after it, so nothing is missed in between and an object that is
already in the wanted state (or already gone) returns at once. The server ends a watch after
`timeoutSeconds`; the client also sets a read timeout a little past that, so a server that stops
talking cannot hold the wait beyond its deadline. No sleeping: the wait returns as soon as an
event satisfies the predicate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import urllib3
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from scs_kaas.errors import WaitTimeout
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.failures import translated

log = logging.getLogger(__name__)

Object = Mapping[str, Any]
Predicate = Callable[[Object | None], bool]  # None: the object does not exist (now)
EventSink = Callable[[str, Object], None]
ListPredicate = Callable[[list[Object]], bool]

_READ_SLACK = 5.0  # seconds the client waits past the server's timeoutSeconds


@dataclass(frozen=True)
class ConditionIs:
    """True once `status.conditions` holds `type` with `status` (metav1.Condition, CAPI v1beta2).

    A condition whose observedGeneration is older than the object's generation describes an
    older spec and does not count.
    """

    type: str
    status: str = "True"

    def __call__(self, obj: Object | None) -> bool:
        found = _condition(obj, self.type)
        if obj is None or found is None or found.get("status") != self.status:
            return False
        observed = found.get("observedGeneration")
        generation = (obj.get("metadata") or {}).get("generation")
        return observed is None or generation is None or observed >= generation

    def __str__(self) -> str:
        return f"condition {self.type}={self.status}"


@dataclass(frozen=True)
class Gone:
    """True once the object does not exist."""

    def __call__(self, obj: Object | None) -> bool:
        return obj is None

    def __str__(self) -> str:
        return "deletion"


def condition_is(type_: str, status: str = "True") -> ConditionIs:
    return ConditionIs(type_, status)


def wait_for(
    client: KubeClient,
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None,
    predicate: Predicate,
    timeout: float,
    on_event: EventSink | None = None,
    late: str | None = None,
) -> Object | None:
    """Watch one object until `predicate` holds; return its state then (None if it is gone).

    `on_event(type, object)` sees the state found first (as "ADDED", like a watch's first event)
    and every change after, e.g. to report progress. On timeout a WaitTimeout says `late`, else
    names the object, what was waited for and the last condition seen.
    """
    resource = client.resource(api_version, kind)
    namespace = namespace if resource.namespaced else None
    what = f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
    deadline = time.monotonic() + timeout
    last: Object | None = None
    while time.monotonic() < deadline:
        with translated(f"watching {what}", secret=kind == "Secret"):
            last, version = _read(client, resource, name, namespace)
            if last is not None and on_event is not None:
                on_event("ADDED", last)
            if predicate(last):
                return last
            found, last = _watch(
                client, resource, name, namespace, version, deadline, last, predicate, on_event
            )
            if found:
                return last
    raise WaitTimeout(late or _timeout_message(what, predicate, timeout, last))


def wait_deleted(
    client: KubeClient,
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None,
    timeout: float,
    on_event: EventSink | None = None,
) -> None:
    """Wait until the object is gone (finalizers run, e.g. CAPI deleting a cluster's machines)."""
    wait_for(client, api_version, kind, name, namespace, Gone(), timeout, on_event)


def wait_for_selected(
    client: KubeClient,
    api_version: str,
    kind: str,
    namespace: str | None,
    label_selector: str,
    predicate: ListPredicate,
    timeout: float,
    what: str,
) -> list[Object]:
    """Watch the objects `label_selector` selects until `predicate` holds for them (the pods of
    a Deployment, whose names the ReplicaSet makes up); return them then.

    The same list-then-watch as `wait_for`; `what` names the wait in the timeout error.
    """
    resource = client.resource(api_version, kind)
    namespace = namespace if resource.namespaced else None
    deadline = time.monotonic() + timeout
    current: dict[str, Object] = {}
    while time.monotonic() < deadline:
        with translated(f"watching {what}", secret=kind == "Secret"):
            items, version = _list(client, resource, namespace, label_selector=label_selector)
            current = {item["metadata"]["name"]: item for item in items}
            if predicate(list(current.values())):
                return list(current.values())
            if _watch_selected(
                client, resource, namespace, label_selector, version, deadline, current, predicate
            ):
                return list(current.values())
    raise WaitTimeout(f"timed out after {timeout:g}s waiting for {what}")


def changed_within(
    client: KubeClient,
    api_version: str,
    kind: str,
    namespace: str,
    label_selector: str,
    seconds: float,
) -> bool:
    """Whether any object `label_selector` selects changes (or appears, or goes) within
    `seconds`: True at the first change, False once the time is up."""
    resource = client.resource(api_version, kind)
    with translated(f"watching {kind}s in {namespace}"):
        _items, version = _list(client, resource, namespace, label_selector=label_selector)
        selected = {"label_selector": label_selector}
        with _watching(client, resource, namespace, version, seconds, selected) as events:
            for _event in events:
                return True
    return False


def _watch_selected(
    client: KubeClient,
    resource: Any,
    namespace: str | None,
    label_selector: str,
    version: str,
    deadline: float,
    current: dict[str, Object],
    predicate: ListPredicate,
) -> bool:
    """Apply the changes after `version` to `current` until `predicate` holds (True) or the
    watch ends (False)."""
    remaining = deadline - time.monotonic()
    selected = {"label_selector": label_selector}
    with _watching(client, resource, namespace, version, remaining, selected) as events:
        for event in events:
            obj = event["raw_object"]
            name = str((obj.get("metadata") or {}).get("name"))
            if event["type"] == "DELETED":
                current.pop(name, None)
            elif event["type"] in ("ADDED", "MODIFIED"):
                current[name] = obj
            if predicate(list(current.values())):
                return True
            if time.monotonic() >= deadline:
                break
    return False


def _list(
    client: KubeClient, resource: Any, namespace: str | None, **selector: str
) -> tuple[list[Object], str]:
    """The objects `selector` (label_selector or field_selector) selects now, and the
    resourceVersion to watch from."""
    listed = client._dynamic.get(
        resource, namespace=namespace, _request_timeout=client.timeout, **selector
    ).to_dict()
    return listed.get("items") or [], str(listed["metadata"]["resourceVersion"])


@contextmanager
def _watching(
    client: KubeClient,
    resource: Any,
    namespace: str | None,
    version: str,
    seconds: float,
    selector: Mapping[str, str],
) -> Iterator[Iterator[dict[str, Any]]]:
    """The events of the changes after `version` that `selector` selects, for `seconds` at
    most: the server's timeoutSeconds, and the client's read timeout a little past it.

    The events end quietly, the caller's deadline deciding what then, when the server went
    quiet past its own timeout and when `version` is too old (410 Gone: read again)."""
    watcher = watch.Watch()  # type: ignore[no-untyped-call]
    stream = watcher.stream(  # type: ignore[no-untyped-call]
        resource.get,
        namespace=namespace,
        resource_version=version,
        serialize=False,
        timeout_seconds=max(1, round(seconds)),
        _request_timeout=(client.timeout[0], seconds + _READ_SLACK),
        **selector,
    )
    try:
        yield stream
    except ApiException as error:
        if error.status != 410:
            raise
    except urllib3.exceptions.ReadTimeoutError:
        pass
    finally:
        stream.close()


def _read(
    client: KubeClient, resource: Any, name: str, namespace: str | None
) -> tuple[Object | None, str]:
    """The object (or None) and the resourceVersion to watch from."""
    items, version = _list(client, resource, namespace, field_selector=f"metadata.name={name}")
    return (items[0] if items else None), version


def _watch(
    client: KubeClient,
    resource: Any,
    name: str,
    namespace: str | None,
    version: str,
    deadline: float,
    last: Object | None,
    predicate: Predicate,
    on_event: EventSink | None,
) -> tuple[bool, Object | None]:
    """Follow changes after `version` until `predicate` holds (True), the deadline passes or the
    watch ends (False: the caller reads again and watches on)."""
    remaining = deadline - time.monotonic()
    selected = {"field_selector": f"metadata.name={name}"}
    with _watching(client, resource, namespace, version, remaining, selected) as events:
        for event in events:
            last = None if event["type"] == "DELETED" else event["raw_object"]
            if on_event is not None:
                on_event(event["type"], event["raw_object"])
            if predicate(last):
                return True, last
            if time.monotonic() >= deadline:
                break
    return False, last


def _condition(obj: Object | None, type_: str) -> Mapping[str, Any] | None:
    conditions = ((obj or {}).get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == type_), None)


def _timeout_message(what: str, predicate: Predicate, timeout: float, last: Object | None) -> str:
    described = isinstance(predicate, ConditionIs | Gone)
    wanted = str(predicate) if described else "the expected state"
    message = f"timed out after {timeout:g}s waiting for {wanted} of {what}"
    if last is None:
        return message + " (it does not exist)"
    conditions = (last.get("status") or {}).get("conditions") or []
    if not conditions:
        return message + " (it has no conditions yet)"
    latest = max(conditions, key=lambda c: str(c.get("lastTransitionTime", "")))
    if isinstance(predicate, ConditionIs):
        latest = _condition(last, predicate.type) or latest
    detail = f"{latest.get('type')}={latest.get('status')}"
    if latest.get("reason"):
        detail += f" reason {latest['reason']}"
    if latest.get("message"):
        detail += f": {str(latest['message'])[:200]}"
    return message + f" (last condition: {detail})"
