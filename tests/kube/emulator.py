"""kmock's Kubernetes emulator, taught what scs-kaas relies on of a real API server.

kmock's `KubernetesEmulator` stores objects and merges dicts on PATCH; its docstring invites a
subclass for anything more. `ApiServer` keeps kmock's HTTP server, discovery documents, error
Status bodies and object store (`.objects`, kmock's view with history) and serves object requests
itself, the way kube-apiserver does:

- discovery of the built-in kinds (kmock's bundled K3s list) and of every CRD in `crds`, with
  kind, scope and the status subresource, so `DynamicClient` finds Cluster API kinds;
- `/api/v1/namespaces[/NAME]` is the Namespace resource (kmock reads it as a path prefix);
- server-side apply (`PATCH`, `application/apply-patch+yaml`) creates missing objects, records
  `managedFields`, removes fields the manager stopped applying (see `semantics.py`);
- merge and strategic-merge patches (both as RFC 7386 merge patches: no patch directives), and
  the `status` subresource: writes to the main resource ignore `status`, writes to `/status`
  change nothing else;
- `resourceVersion` from one counter, bumped only by writes that change the object (a no-op
  apply keeps it, as a real server does), `generation` bumped by changes outside
  metadata/status, `uid`, `creationTimestamp`;
- a namespaced object needs its Namespace (404 otherwise), `kind` must match the URL (400);
- Secret `stringData` is folded into base64 `data`;
- DELETE honours `preconditions` (uid, resourceVersion: 409) and finalizers (deletionTimestamp);
- LIST and WATCH filter by `labelSelector` and `fieldSelector` (metadata.name/namespace), a watch
  starts with ADDED for what exists unless `resourceVersion` is given and ends after
  `timeoutSeconds`.

Fault injection, for failure paths no real server can be made to take on cue: `refuse_writes`
makes the next write(s) to one named object fail with a chosen HTTP status (reads still answer),
e.g. a rotation whose first Secret is written and whose second is refused. Each refusal is
recorded in `refused`.

A request the emulator cannot handle (a bug here) is answered 500 and kept in `failures`, which
the fixture asserts empty.

Not emulated: authentication, admission, defaulting and validation against the CRD schemas,
conflicts between field managers, `listType=map` merging, conversion between API versions (each
version is a separate store), garbage collection by ownerReferences and namespace deletion of
contents, PUT, delete-collection, bookmarks and 410 Gone.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime
import functools
import json
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp.web
import attrs
import kmock
import yaml
from kmock._internal import enums, parsing, references, rendering
from kmock._internal.k8s import KubernetesError, KubernetesScaffold

from tests.kube import semantics

Resource = references.resource
Key = tuple[Resource, str | None, str]

APPLY = "application/apply-patch+yaml"
NAMESPACES = Resource("", "v1", "namespaces")


def crd_resources(folder: Path) -> Iterator[tuple[Resource, references.ResourceInfo]]:
    """Discovery entries for every served version of every CRD under `folder`."""
    for resource, fields in _crd_entries(folder):
        yield resource, references.ResourceInfo(**fields)


@functools.cache  # parsing the CRDs' YAML takes seconds; each test starts a server
def _crd_entries(folder: Path) -> tuple[tuple[Resource, dict[str, Any]], ...]:
    entries = []
    for path in sorted(folder.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for crd in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec, names = crd["spec"], crd["spec"]["names"]
            for version in spec["versions"]:
                if not version.get("served", True):
                    continue
                fields = {
                    "kind": names["kind"],
                    "singular": names.get("singular", names["kind"].lower()),
                    "namespaced": spec["scope"] == "Namespaced",
                    "shortnames": names.get("shortNames", []),
                    "categories": names.get("categories", []),
                    "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
                    "subresources": list(version.get("subresources") or {}),
                }
                entries.append((Resource(spec["group"], version["name"], names["plural"]), fields))
    return tuple(entries)


def _now() -> str:
    return datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status(code: int, reason: str, message: str) -> KubernetesError:
    return KubernetesError(status=code, reason=reason, message=message, details={})


@attrs.define
class WriteFault:
    """Refuse the next `times` writes (POST, PATCH, PUT, DELETE) to one object with `status`."""

    plural: str  # the resource's plural, as in the URL: "secrets", "deployments"
    namespace: str | None
    name: str
    status: int = 500
    times: int = 1

    def matches(self, resource: Resource, namespace: str | None, name: str) -> bool:
        return (resource.plural, namespace, name) == (self.plural, self.namespace, self.name)


_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@attrs.define(kw_only=True)
class ApiServer(kmock.KubernetesEmulator):
    """kube-apiserver as far as scs-kaas needs it; see the module docstring."""

    crds: Path | None = None
    failures: list[Exception] = attrs.field(factory=list, init=False)
    faults: list[WriteFault] = attrs.field(factory=list, init=False)
    refused: list[tuple[str, str | None, str]] = attrs.field(factory=list, init=False)
    _revision: int = attrs.field(default=0, init=False)
    _events: list[tuple[int, Resource, dict[str, Any]]] = attrs.field(factory=list, init=False)
    # Set and replaced on every change: a watch waits on the one it saw last.
    _tick: asyncio.Event = attrs.field(factory=asyncio.Event, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        with warnings.catch_warnings():  # kmock reads its bundled list with a deprecated call
            warnings.simplefilter("ignore", DeprecationWarning)
            self.resources.load_bundled()
        if self.crds is not None:
            for resource, info in crd_resources(self.crds):
                self.resources[resource] = info

    def refuse_writes(
        self, plural: str, namespace: str | None, name: str, status: int = 500, times: int = 1
    ) -> None:
        """Make the next `times` writes to `plural` `namespace/name` fail with HTTP `status`.

        Call it on the server's loop (conftest's `Emulator.refuse_writes` does).
        """
        self.faults.append(WriteFault(plural, namespace, name, status, times))

    def _refuse_if_told(self, request: rendering.Request, method: str) -> None:
        assert request.resource is not None
        name = request.name
        if name is None and method == "POST":
            name = str(((request.data or {}).get("metadata") or {}).get("name", ""))
        for fault in self.faults:
            if fault.times > 0 and fault.matches(request.resource, request.namespace, name or ""):
                fault.times -= 1
                self.refused.append((fault.plural, fault.namespace, fault.name))
                raise _status(fault.status, "InternalError", "write refused (fault injection)")

    # --- HTTP ---------------------------------------------------------------------------------

    async def __call__(self, raw: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        body = await raw.read()
        request = self._parse(raw, body)
        self._requests.append(request)
        try:
            if request.resource is not None and request.resource.plural is not None:
                return await self._serve_object(request, raw)
            if raw.path == "/version/":  # the typed client asks with the slash, kmock knows none
                return aiohttp.web.json_response(await self._serve_server_version(request))
            return await KubernetesScaffold._handle(self, request)
        except KubernetesError as error:
            return await self._render_error(error)
        except Exception as error:  # a bug here: answer 500 and keep it for the test to see
            self.failures.append(error)
            return await self._render_error(error)

    def _parse(self, raw: aiohttp.web.BaseRequest, body: bytes) -> rendering.Request:
        parts = raw.path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "namespaces"] and (
            len(parts) <= 4 or (len(parts) == 5 and parts[4] in ("status", "finalize"))
        ):
            # /api/v1/namespaces[/NAME[/status]] is the Namespace resource itself.
            path = parsing.ParsedPath("", "v1", "namespaces", None, *[*parts[3:], None, None][:2])
        else:
            path = parsing.parse_path(raw.path)
        resource = (
            None
            if path.group is None
            else Resource(group=path.group, version=path.version, plural=path.plural)
        )
        method = enums.method(raw.method)
        return rendering.Request(
            id=len(self._requests),
            raw_request=raw,
            url=raw.url,
            method=raw.method,
            params=dict(raw.query),
            headers=dict(raw.headers),
            body=body,
            text=body.decode("utf-8", "replace"),
            data=yaml.safe_load(body) if body.strip() else None,
            action=parsing.guess_k8s(path, method, dict(raw.query)),
            resource=resource,
            namespace=path.namespace,
            name=path.name,
            subresource=path.subresource,
        )

    async def _serve_object(
        self, request: rendering.Request, raw: aiohttp.web.BaseRequest
    ) -> aiohttp.web.StreamResponse:
        assert request.resource is not None
        if request.resource not in self.resources:
            raise _status(404, "NotFound", "the server could not find the requested resource")
        method, params = str(request.method.value).upper(), request.params
        if method == "GET" and params.get("watch", "").lower() in ("true", "1"):
            return await self._watch(request, raw)
        if method in _WRITES:
            self._refuse_if_told(request, method)
        async with self._lock:
            if method == "GET" and request.name is None:
                return aiohttp.web.json_response(self._list(request))
            if method == "GET":
                return aiohttp.web.json_response(self._fetch(self._key(request)))
            if method == "POST" and request.name is None:
                body = dict(request.data or {})
                name = body.get("metadata", {}).get("name", "")
                key = (request.resource, request.namespace, name)
                if self._get(key) is not None:
                    raise _status(409, "AlreadyExists", f"{name} already exists")
                return aiohttp.web.json_response(self._write(key, body, None), status=201)
            if method == "PATCH" and request.name is not None:
                return self._patch(request)
            if method == "DELETE" and request.name is not None:
                return aiohttp.web.json_response(self._delete(request))
        raise _status(405, "MethodNotAllowed", f"{method} is not emulated here")

    # --- reads --------------------------------------------------------------------------------

    def _key(self, request: rendering.Request) -> Key:
        assert request.resource is not None and request.name is not None
        return (request.resource, request.namespace, request.name)

    def _get(self, key: Key) -> dict[str, Any] | None:
        if key not in self.objects or self.objects[key].deleted:
            return None
        return copy.deepcopy(self.objects[key].raw)

    def _fetch(self, key: Key) -> dict[str, Any]:
        found = self._get(key)
        if found is None:
            kind = self.resources[key[0]].kind or key[0].plural
            raise _status(404, "NotFound", f'{kind} "{key[2]}" not found')
        return found

    def _selected(self, request: rendering.Request, obj: dict[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return semantics.matches_labels(
            labels, request.params.get("labelSelector", "")
        ) and semantics.matches_fields(obj, request.params.get("fieldSelector", ""))

    def _list(self, request: rendering.Request) -> dict[str, Any]:
        items = [
            obj.raw
            for (resource, namespace, _), obj in self.objects.items()
            if resource == request.resource and not obj.deleted
            if request.namespace in (None, namespace)
        ]
        assert request.resource is not None
        kind = self.resources[request.resource].kind or "Object"
        return {
            "apiVersion": "/".join(
                filter(None, [request.resource.group, request.resource.version])
            ),
            "kind": f"{kind}List",
            "metadata": {"resourceVersion": str(self._revision)},
            "items": [copy.deepcopy(o) for o in items if self._selected(request, o)],
        }

    async def _watch(
        self, request: rendering.Request, raw: aiohttp.web.BaseRequest
    ) -> aiohttp.web.StreamResponse:
        deadline = time.monotonic() + float(request.params.get("timeoutSeconds") or 1800)
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(raw)
        async with self._lock:
            since = request.params.get("resourceVersion")
            if since in (None, "", "0"):
                pending = [{"type": "ADDED", "object": o} for o in self._list(request)["items"]]
                since = str(self._revision)
            else:
                pending = []
        seen = int(since)
        while True:
            try:
                for event in pending:
                    await response.write(json.dumps(event).encode() + b"\n")
            except ConnectionResetError:
                # The client stopped watching (its predicate held): how a real watch ends too.
                return response
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if self._revision == seen:
                try:
                    await asyncio.wait_for(self._tick.wait(), remaining)
                except TimeoutError:
                    break
            fresh = [(rev, res, e) for rev, res, e in self._events if rev > seen]
            seen = self._revision
            pending = [
                e
                for _, res, e in fresh
                if res == request.resource
                if request.namespace in (None, e["object"]["metadata"].get("namespace"))
                if self._selected(request, e["object"])
            ]
        await response.write_eof()
        return response

    # --- writes -------------------------------------------------------------------------------

    def _patch(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        key = self._key(request)
        live = self._get(key)
        body = request.data if isinstance(request.data, dict) else {}
        content_type = request.headers.get("Content-Type", "").split(";")[0]
        has_status = "status" in self.resources[key[0]].subresources
        if request.subresource == "status":
            body = {"status": body.get("status")}
        elif has_status:
            body = {k: v for k, v in body.items() if k != "status"}
        if content_type == APPLY:
            manager = request.params.get("fieldManager")
            if not manager:
                raise _status(400, "BadRequest", "fieldManager is required for apply patch")
            return self._apply(key, live, body, manager)
        if live is None:
            return aiohttp.web.json_response(self._fetch(key))  # the 404
        if content_type == "application/json-patch+json":
            raise _status(415, "UnsupportedMediaType", "JSON patch is not emulated")
        patched = semantics.merge_patch(live, body)
        return aiohttp.web.json_response(self._write(key, patched, live))

    def _apply(
        self, key: Key, live: dict[str, Any] | None, body: dict[str, Any], manager: str
    ) -> aiohttp.web.StreamResponse:
        entries = [] if live is None else live["metadata"].get("managedFields", [])
        mine = [e for e in entries if e["manager"] == manager and e["operation"] == "Apply"]
        previous = semantics.paths_of(mine[0]["fieldsV1"]) if mine else set()
        base = live or {}
        result, owned = semantics.server_side_apply(base, body, previous)
        entry = {
            "manager": manager,
            "operation": "Apply",
            "apiVersion": body.get("apiVersion"),
            "time": _now(),
            "fieldsType": "FieldsV1",
            "fieldsV1": semantics.fields_v1(owned),
        }
        others = [e for e in entries if e not in mine]
        result.setdefault("metadata", {})["managedFields"] = [*others, entry]
        if live is not None and _same(result, live):
            return aiohttp.web.json_response(live)  # no-op: nothing written, same resourceVersion
        return aiohttp.web.json_response(
            self._write(key, result, live), status=201 if not live else 200
        )

    def _write(self, key: Key, obj: dict[str, Any], live: dict[str, Any] | None) -> dict[str, Any]:
        resource, namespace, name = key
        info = self.resources[resource]
        kind = obj.get("kind") or info.kind
        if kind != info.kind:
            raise _status(400, "BadRequest", f"kind {kind} does not match {resource.plural}")
        meta = obj.setdefault("metadata", {})
        if meta.get("name", name) != name or not name:
            raise _status(400, "BadRequest", "the name of the object does not match the URL")
        if info.namespaced:
            if self._get((NAMESPACES, None, namespace or "")) is None:
                raise _status(404, "NotFound", f'namespaces "{namespace}" not found')
            meta["namespace"] = namespace
        if key[0] == Resource("", "v1", "secrets") and "stringData" in obj:
            data = obj.setdefault("data", {})
            for field, text in obj.pop("stringData").items():
                data[field] = base64.b64encode(text.encode()).decode()
        obj["apiVersion"] = "/".join(filter(None, [resource.group, resource.version]))
        obj["kind"] = info.kind
        meta["name"] = name
        old_meta = (live or {}).get("metadata", {})
        for field in ("uid", "creationTimestamp", "deletionTimestamp", "generation"):
            if field in old_meta:
                meta[field] = old_meta[field]
        if live is None:
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now(), generation=1)
        elif _spec(obj) != _spec(live):
            meta["generation"] = int(old_meta.get("generation", 1)) + 1
        if live is not None and _same(obj, live):
            return live
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return self._remove(key, obj)  # the last finalizer is gone: the object goes
        self._revision += 1
        meta["resourceVersion"] = str(self._revision)
        if key in self.objects:
            self.objects[key].history.append(obj)  # kmock keeps every version for assertions
        else:
            self.objects[key] = obj
        self._publish("ADDED" if live is None else "MODIFIED", resource, obj)
        return copy.deepcopy(obj)

    def _delete(self, request: rendering.Request) -> dict[str, Any]:
        key = self._key(request)
        live = self._fetch(key)
        preconditions = (request.data or {}).get("preconditions") or {}
        for field in ("uid", "resourceVersion"):
            if preconditions.get(field) not in (None, live["metadata"].get(field)):
                raise _status(409, "Conflict", f"precondition failed: {field} changed")
        if live["metadata"].get("finalizers"):
            if not live["metadata"].get("deletionTimestamp"):
                marked = copy.deepcopy(live)
                marked["metadata"]["deletionTimestamp"] = _now()
                return self._write(key, marked, live)
            return live
        return self._remove(key, live)

    def _remove(self, key: Key, last: dict[str, Any]) -> dict[str, Any]:
        self._revision += 1
        self.objects[key].delete()
        last["metadata"]["resourceVersion"] = str(self._revision)
        self._publish("DELETED", key[0], last)
        return last

    def _publish(self, kind: str, resource: Resource, obj: dict[str, Any]) -> None:
        event = {"type": kind, "object": copy.deepcopy(obj)}
        self._events.append((self._revision, resource, event))
        self._tick.set()
        self._tick = asyncio.Event()


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal but for managedFields timestamps and resourceVersion, as a real server compares."""

    def strip(obj: dict[str, Any]) -> dict[str, Any]:
        copied = copy.deepcopy(obj)
        meta = copied.get("metadata", {})
        meta.pop("resourceVersion", None)
        for entry in meta.get("managedFields", []):
            entry.pop("time", None)
        return copied

    return strip(a) == strip(b)
