"""A client for one Kubernetes API server, built from a kubeconfig without global state.

The official client's `config.load_kube_config()` sets a module-wide default configuration;
here every `KubeClient` carries its own `ApiClient`, so the management cluster and any number of
workload clusters can be talked to side by side.

Key material embedded in a kubeconfig (`client-key-data`, ...) would be written by the client
library to files in /tmp, which outlive a crash until the next clean exit. It goes into
anonymous in-memory files (memfd) instead, which vanish with the client: a workload cluster's
admin kubeconfig read from its Secret never touches a disk.

Outside `kube/` the tool talks to a server only through the typed methods (`get`, `list`,
`apply`, `patch`, `delete`), which return plain dicts and raise only the tool's errors: the
library's exceptions are translated once, in `kube.failures.translated` (not-found becomes None
or False, a timeout `WaitTimeout`, everything else a `ClusterError` with the cause kept unless
the call carried a secret).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError, ResourceNotUniqueError

from scs_kaas.errors import ClusterError, NotFound
from scs_kaas.kube.failures import LIBRARY_ERRORS, describe, translated
from scs_kaas.kube.key_material import MemoryDiscoverer, close_all, in_memory, nowhere

log = logging.getLogger(__name__)

# (connect, read) seconds for every request the tool makes; watches pass their own read timeout.
DEFAULT_TIMEOUT = (10.0, 60.0)

# The field manager of every apply the tool makes (`kubectl apply --server-side` uses "kubectl").
FIELD_MANAGER = "scs-kaas"

Object = dict[str, Any]
Objects = list[Object]


@dataclass(frozen=True)
class KubeClient:
    """One API server: the typed `ApiClient`, the `DynamicClient` on top, and where it points.

    Both library clients are private: only the adapter (`kube/`) uses them, through
    `translated`; everyone else calls the typed methods.
    """

    _api: Any  # kubernetes.client.ApiClient (its classes carry no annotations)
    _dynamic: Any  # kubernetes.dynamic.DynamicClient
    server: str
    context: str | None = None
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    _memfds: tuple[int, ...] = field(default=(), repr=False)

    @classmethod
    def from_file(
        cls,
        path: Path,
        context: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> KubeClient:
        """A client for `context` (default: the file's current context) of the kubeconfig `path`."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise ClusterError(f"kubeconfig {path} does not exist") from error
        except OSError as error:
            raise ClusterError(f"kubeconfig {path} cannot be read: {error.strerror}") from error
        return cls.from_text(text, context, timeout, origin=str(path), base=path.parent)

    @classmethod
    def from_text(
        cls,
        text: str,
        context: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        origin: str = "kubeconfig held in memory",
        base: Path | None = None,
    ) -> KubeClient:
        """A client from kubeconfig text that never goes to disk (a workload cluster's Secret).

        `origin` names the kubeconfig in errors; its content never appears in them.
        """
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError:
            # Cut: the parser's message quotes the kubeconfig's text, keys and all.
            raise ClusterError(f"{origin} is not valid YAML") from None
        if not isinstance(loaded, dict):
            raise ClusterError(f"{origin} is not a kubeconfig (no mapping at the top)")
        return cls.from_dict(loaded, context, timeout, origin, base)

    @classmethod
    def from_dict(
        cls,
        kubeconfig: Mapping[str, Any],
        context: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        origin: str = "kubeconfig held in memory",
        base: Path | None = None,
    ) -> KubeClient:
        name = context or kubeconfig.get("current-context")
        contexts = {c.get("name"): c for c in kubeconfig.get("contexts") or [] if c}
        if not name:
            raise ClusterError(f"{origin} has no current-context and no context was named")
        if name not in contexts:
            known = ", ".join(sorted(str(c) for c in contexts)) or "none"
            raise ClusterError(f"context {name!r} is not in {origin} (contexts: {known})")
        memfds: list[int] = []
        try:
            prepared = in_memory(kubeconfig, base, memfds)
            configuration = k8s.Configuration()
            # No silent retry of a read: a watch or an apply that timed out must say so.
            # Nor of a TLS failure (an unknown CA, another server at the address): retried with
            # urllib3's default total of 10 and backoff it held a delete for minutes.
            configuration.retries = urllib3.Retry(connect=2, read=0, other=0, backoff_factor=0.5)
            api = k8s_config.new_client_from_config_dict(  # type: ignore[no-untyped-call]
                prepared, context=name, persist_config=False, client_configuration=configuration
            )
        except (ConfigException, KeyError, TypeError, ValueError) as error:
            close_all(memfds)
            # The library's messages name keys, never their values; the cause is cut all the
            # same, a kubeconfig being a secret.
            raise ClusterError(f"context {name!r} of {origin} is unusable: {error}") from None
        server = str(configuration.host)
        _probe(api, server, timeout, memfds)
        try:
            dynamic = DynamicClient(  # type: ignore[no-untyped-call]
                api, discoverer=MemoryDiscoverer, cache_file=nowhere()
            )
        except (ApiException, urllib3.exceptions.HTTPError) as error:
            api.close()
            close_all(memfds)
            raise ClusterError(f"API discovery at {server} failed: {describe(error)}") from error
        log.debug("connected to %s (context %s)", server, name)
        return cls(api, dynamic, server, name, timeout, tuple(memfds))

    def resource(self, api_version: str, kind: str) -> Any:
        """The dynamic resource serving `kind` of `api_version`, from the server's discovery."""
        try:
            with translated(f"API discovery of {kind} ({api_version}) at {self.server}"):
                return self._dynamic.resources.get(api_version=api_version, kind=kind)
        except (ResourceNotFoundError, ResourceNotUniqueError) as error:
            raise ClusterError(
                f"{self.server} does not serve {kind} of {api_version}"
                " (are the Cluster API providers installed?)"
            ) from error

    def serves(self, api_version: str, kind: str) -> bool:
        """Whether the server serves `kind` of `api_version` (its CRD is installed)."""
        try:
            with translated(f"API discovery of {kind} ({api_version}) at {self.server}"):
                self._dynamic.resources.get(api_version=api_version, kind=kind)
        except (ResourceNotFoundError, ResourceNotUniqueError):
            return False
        return True

    def resource_of_group(self, api_version: str, kind: str) -> Any:
        """`kind` of `api_version` if served, else of whichever version of its group the server
        prefers: for reads and deletions, which do not depend on the version (CAPO v0.14 serves
        only v1beta1 of what v0.15 also serves as v1beta2)."""
        group = api_version.rpartition("/")[0]
        try:
            return self.resource(api_version, kind)
        except ClusterError:
            if not group:
                raise
        with translated(f"API discovery of {kind} ({group}) at {self.server}"):
            found = self._dynamic.resources.search(group=group, kind=kind)
        preferred = [r for r in found if getattr(r, "preferred", False)] or found
        if not preferred:
            raise ClusterError(f"{self.server} serves no version of {kind} ({group})")
        return preferred[0]

    def namespaced(self, api_version: str, kind: str) -> bool:
        """Whether objects of `kind` live in namespaces."""
        return bool(self.resource(api_version, kind).namespaced)

    def served_version(self, api_version: str, kind: str) -> str:
        """The apiVersion `kind` is read in: `api_version` if served, else the version of its
        group the server prefers (`resource_of_group`)."""
        return str(self.resource_of_group(api_version, kind).group_version)

    def get(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        action: str | None = None,
    ) -> Object | None:
        """The object, or None if it does not exist."""
        resource = self.resource(api_version, kind)
        namespace = namespace if resource.namespaced else None
        action = action or f"reading {_named(kind, name, namespace)}"
        try:
            with translated(action, secret=kind == "Secret"):
                found = self._dynamic.get(
                    resource, name=name, namespace=namespace, _request_timeout=self.timeout
                )
        except NotFound:
            return None
        return dict(found.to_dict())

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        any_version: bool = False,
        action: str | None = None,
    ) -> Objects:
        """The objects of `kind` in `namespace` (None: in all) that the selectors select.

        `any_version`: of whichever version of the group is served (`resource_of_group`).
        """
        find = self.resource_of_group if any_version else self.resource
        resource = find(api_version, kind)
        where = f" in {namespace}" if namespace else ""
        with translated(action or f"listing {kind}s{where}", secret=kind == "Secret"):
            listed = self._dynamic.get(
                resource,
                namespace=namespace if resource.namespaced else None,
                label_selector=label_selector,
                field_selector=field_selector,
                _request_timeout=self.timeout,
            )
        return [dict(item) for item in listed.to_dict().get("items") or []]

    def apply(
        self,
        manifest: Mapping[str, Any],
        *,
        field_manager: str = FIELD_MANAGER,
        dry_run: bool = False,
        action: str | None = None,
    ) -> Object:
        """Server-side apply `manifest`, forcing `field_manager`'s ownership; what the server
        stored (with `dry_run`: would store)."""
        api_version, kind = str(manifest["apiVersion"]), str(manifest["kind"])
        metadata = manifest.get("metadata") or {}
        name, namespace = str(metadata["name"]), metadata.get("namespace")
        resource = self.resource(api_version, kind)
        namespace = namespace if resource.namespaced else None
        if resource.namespaced and not namespace:
            raise ClusterError(
                f"{_named(kind, name, None)} has no namespace; every namespaced object needs one"
            )
        extra = {"dry_run": "All"} if dry_run else {}
        # What the server says of a refused manifest may quote it, and manifests hold secrets.
        with translated(action or f"applying {_named(kind, name, namespace)}", secret=True):
            applied = self._dynamic.server_side_apply(
                resource,
                body=dict(manifest),
                name=name,
                namespace=namespace,
                field_manager=field_manager,
                force_conflicts=True,
                _request_timeout=self.timeout,
                **extra,
            )
        return dict(applied.to_dict())

    def patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None,
        body: Mapping[str, Any],
        *,
        content_type: str = "application/merge-patch+json",
        action: str | None = None,
    ) -> Object:
        """Patch the object with `body` (a JSON merge patch unless `content_type` says other)."""
        resource = self.resource(api_version, kind)
        namespace = namespace if resource.namespaced else None
        action = action or f"patching {_named(kind, name, namespace)}"
        with translated(action, secret=kind == "Secret"):
            patched = self._dynamic.patch(
                resource,
                body=dict(body),
                name=name,
                namespace=namespace,
                content_type=content_type,
                _request_timeout=self.timeout,
            )
        return dict(patched.to_dict())

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
        propagation: str | None = None,
        action: str | None = None,
    ) -> bool:
        """Delete the object: True if deleted (or its deletion begun), False if it was gone.

        With `uid` / `resource_version`, only that object at that version (else `Conflict`);
        `propagation`: "Background", "Foreground" or "Orphan" (default: the kind's own).
        """
        resource = self.resource(api_version, kind)
        namespace = namespace if resource.namespaced else None
        preconditions = {
            key: value
            for key, value in (("uid", uid), ("resourceVersion", resource_version))
            if value
        }
        options: Object = {}
        if propagation:
            options["propagationPolicy"] = propagation
        if preconditions:
            options["preconditions"] = preconditions
        body = {"apiVersion": "v1", "kind": "DeleteOptions", **options} if options else None
        action = action or f"deleting {_named(kind, name, namespace)}"
        try:
            with translated(action, secret=kind == "Secret"):
                self._dynamic.delete(
                    resource,
                    name=name,
                    namespace=namespace,
                    body=body,
                    _request_timeout=self.timeout,
                )
        except NotFound:
            return False
        return True

    def close(self) -> None:
        self._api.close()
        close_all(list(self._memfds))

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _named(kind: str, name: str, namespace: str | None) -> str:
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _probe(api: Any, server: str, timeout: tuple[float, float], memfds: list[int]) -> None:
    """Ask for /version with a bounded timeout, so an unreachable server fails fast and clearly."""
    try:
        k8s.VersionApi(api).get_code(_request_timeout=timeout)
    except LIBRARY_ERRORS as error:
        api.close()
        close_all(memfds)
        # The cause names the address, not the credentials the request carried.
        raise ClusterError(
            f"the Kubernetes API server at {server} does not answer: {describe(error)}"
        ) from error
