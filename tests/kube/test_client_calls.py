"""KubeClient's typed calls against the real API server: what the library raises becomes the
tool's error once, by type (NotFound, Conflict, WaitTimeout, else ClusterError), the library's
exception kept as the cause unless the call carried a secret. The failures are the server's
own: a missing object or namespace, a stale resourceVersion, an admission policy of the
test's that denies (tests/support/admission.py), a server gone silent behind a relay."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3
import yaml
from kubernetes.client.exceptions import ApiException

from scs_kaas.errors import ClusterError, Conflict, NotFound, WaitTimeout
from scs_kaas.kube.client import KubeClient
from tests.support.admission import refusing


def config_map(namespace: str, name: str, **data: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def test_a_missing_object_reads_as_none_and_deletes_as_false(
    kube: KubeClient, namespace: str
) -> None:
    assert kube.get("v1", "ConfigMap", "absent", namespace) is None
    assert kube.get("v1", "ConfigMap", "absent", f"{namespace}-nowhere") is None
    assert kube.get("v1", "Namespace", f"{namespace}-nowhere") is None
    assert kube.delete("v1", "ConfigMap", "absent", namespace) is False


def test_an_object_is_applied_read_listed_patched_and_deleted(
    kube: KubeClient, namespace: str
) -> None:
    stored = kube.apply(config_map(namespace, "one", k="v"))
    assert stored["data"] == {"k": "v"}
    found = kube.get("v1", "ConfigMap", "one", namespace)
    assert found is not None and found["metadata"]["uid"] == stored["metadata"]["uid"]
    patched = kube.patch("v1", "ConfigMap", "one", namespace, {"data": {"k": "w"}})
    assert patched["data"] == {"k": "w"}
    names = [item["metadata"]["name"] for item in kube.list("v1", "ConfigMap", namespace)]
    assert "one" in names
    assert kube.delete("v1", "ConfigMap", "one", namespace, uid=stored["metadata"]["uid"])
    assert kube.get("v1", "ConfigMap", "one", namespace) is None


def test_a_dry_run_apply_stores_nothing(kube: KubeClient, namespace: str) -> None:
    would = kube.apply(config_map(namespace, "dry", k="v"), dry_run=True)
    assert would["data"] == {"k": "v"}
    assert kube.get("v1", "ConfigMap", "dry", namespace) is None


def test_an_apply_into_a_namespace_that_does_not_exist_is_not_found(
    kube: KubeClient, namespace: str
) -> None:
    nowhere = f"{namespace}-nowhere"
    with pytest.raises(NotFound) as caught:
        kube.apply(config_map(nowhere, "one", k="v"))
    assert str(caught.value).startswith(f"applying ConfigMap {nowhere}/one failed: HTTP 404: ")
    assert caught.value.__cause__ is None  # an apply's body may hold secrets: the cause is cut


def test_a_deletion_at_a_stale_version_is_a_conflict(kube: KubeClient, namespace: str) -> None:
    first = kube.apply(config_map(namespace, "moving", k="1"))
    kube.apply(config_map(namespace, "moving", k="2"))
    with pytest.raises(Conflict, match=rf"deleting ConfigMap {namespace}/moving failed: HTTP 409"):
        kube.delete(
            "v1",
            "ConfigMap",
            "moving",
            namespace,
            resource_version=first["metadata"]["resourceVersion"],
        )
    assert kube.get("v1", "ConfigMap", "moving", namespace) is not None


def test_a_refused_patch_and_deletion_keep_the_servers_answer_as_the_cause(
    kube: KubeClient, namespace: str
) -> None:
    kube.apply(config_map(namespace, "guarded", k="v"))
    with refusing(kube, "v1", "ConfigMap", namespace, "guarded", ["UPDATE", "DELETE"]) as refusal:
        with pytest.raises(ClusterError) as patched:
            kube.patch("v1", "ConfigMap", "guarded", namespace, {"data": {"k": "w"}})
        with pytest.raises(ClusterError) as deleted:
            kube.delete("v1", "ConfigMap", "guarded", namespace)
    for caught, verb in ((patched, "patching"), (deleted, "deleting")):
        assert type(caught.value) is ClusterError  # neither NotFound, Conflict nor WaitTimeout
        expected = f"{verb} ConfigMap {namespace}/guarded failed: HTTP 403"
        assert str(caught.value).startswith(expected)
        assert refusal.denied(caught.value)
        cause = caught.value.__cause__
        assert isinstance(cause, ApiException) and cause.status == 403
    found = kube.get("v1", "ConfigMap", "guarded", namespace)
    assert found is not None and found["data"] == {"k": "v"}


def test_a_refused_call_on_a_secret_cuts_the_cause(kube: KubeClient, namespace: str) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "guarded", "namespace": namespace},
        "stringData": {"password": "s3cr3t-value"},
    }
    kube.apply(secret)
    with refusing(kube, "v1", "Secret", namespace, "guarded", ["UPDATE", "DELETE"]):
        with pytest.raises(ClusterError) as deleted:
            kube.delete("v1", "Secret", "guarded", namespace)
        with pytest.raises(ClusterError) as applied:
            kube.apply({**secret, "stringData": {"password": "n3w-value"}})
    for caught in (deleted, applied):
        assert "HTTP 403" in str(caught.value)
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__
    assert kube.get("v1", "Secret", "guarded", namespace) is not None


def test_the_action_names_the_failure(kube: KubeClient, namespace: str) -> None:
    with pytest.raises(NotFound, match=r"^putting one somewhere failed: HTTP 404"):
        kube.apply(config_map(f"{namespace}-nowhere", "one"), action="putting one somewhere")


class _Relay:
    """A TCP relay to the API server that can go silent: then it takes what the client sends
    and answers nothing, as a hung server or a black-holed route does."""

    def __init__(self, port: int) -> None:
        self.upstream = port
        self.silent = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # the listener closed
            while True:
                client, _ = self.listener.accept()
                server = socket.create_connection(("127.0.0.1", self.upstream))
                self.sockets += [client, server]
                for source, sink in ((client, server), (server, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if not self.silent.is_set():
                    sink.sendall(data)

    def close(self) -> None:
        for each in [self.listener, *self.sockets]:
            each.close()


@pytest.fixture
def relayed(kubeconfig_file: Path) -> Iterator[tuple[KubeClient, _Relay]]:
    """A client of the management cluster that talks to it through a `_Relay`."""
    config = yaml.safe_load(kubeconfig_file.read_text(encoding="utf-8"))
    (entry,) = config["clusters"]
    server = urllib3.util.parse_url(entry["cluster"]["server"])
    relay = _Relay(int(server.port or 443))
    entry["cluster"]["server"] = f"https://127.0.0.1:{relay.port}"
    try:
        with KubeClient.from_dict(config, timeout=(2.0, 1.0), base=kubeconfig_file.parent) as kube:
            yield kube, relay
    finally:
        relay.close()


def test_a_server_gone_silent_is_a_wait_timeout(relayed: tuple[KubeClient, _Relay]) -> None:
    kube, relay = relayed
    name = f"t-{uuid.uuid4().hex[:10]}"
    assert kube.get("v1", "Namespace", name) is None  # through the relay, answered
    relay.silent.set()
    with pytest.raises(WaitTimeout, match=rf"^reading Namespace {name} failed: ReadTimeoutError"):
        kube.get("v1", "Namespace", name)
    with pytest.raises(WaitTimeout) as caught:
        kube.list("v1", "ConfigMap", "default")
    assert isinstance(caught.value.__cause__, urllib3.exceptions.HTTPError)  # kept: no secret
