"""KubeClient: built without the library's global configuration, with clear errors that quote no
credentials, and without spilling embedded key material to disk."""

from __future__ import annotations

import base64
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.localmgmt import ManagementCluster

KEY = b"-----BEGIN PRIVATE KEY-----\nnot-a-real-key-but-secret\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A listener whose connections are never answered (a hung API server): the kernel
    completes them into its backlog, where they can be counted afterwards."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener


def _connections_made(listener: socket.socket) -> int:
    listener.setblocking(False)
    made = 0
    while True:
        try:
            accepted, _ = listener.accept()
        except BlockingIOError:
            return made
        accepted.close()
        made += 1


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def kubeconfig(server: str, user: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": user or {"token": "tok-3n-secret"}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }


def renamed(config: dict[str, Any], context: str) -> dict[str, Any]:
    """The same kubeconfig with its one context called `context`."""
    (entry,) = config["contexts"]
    return {**config, "contexts": [{**entry, "name": context}], "current-context": context}


def test_two_clients_side_by_side_leave_the_library_default_alone(
    management: ManagementCluster, kubeconfig_file: Path
) -> None:
    other = renamed(yaml.safe_load(kubeconfig_file.read_text(encoding="utf-8")), "other")
    with (
        KubeClient.from_file(kubeconfig_file) as first,
        KubeClient.from_dict(other, "other") as second,
    ):
        assert first.server == second.server == f"https://127.0.0.1:{management.ports.apiserver}"
        assert (first.context, second.context) == ("kaas-local-management", "other")
        assert first._api is not second._api
        assert first.resource("v1", "Secret").namespaced
        assert second.resource("controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane")
    assert k8s.Configuration._default is None


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"kubeconfig .*/absent does not exist"):
        KubeClient.from_file(tmp_path / "absent")


def test_a_missing_context_lists_the_known_ones_and_no_credentials(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(kubeconfig("http://127.0.0.1:1")), encoding="utf-8")
    with pytest.raises(ClusterError) as caught:
        KubeClient.from_file(path, context="prod")
    assert str(caught.value) == f"context 'prod' is not in {path} (contexts: ctx)"


def test_a_kind_the_server_does_not_serve_is_named(kube: KubeClient) -> None:
    with pytest.raises(ClusterError, match=r"does not serve Widget of example\.com/v1"):
        kube.resource("example.com/v1", "Widget")


def test_a_refused_connection_fails_clearly(closed_port: int) -> None:
    with pytest.raises(ClusterError) as caught:
        KubeClient.from_dict(kubeconfig(f"http://127.0.0.1:{closed_port}"), timeout=(1, 1))
    message = str(caught.value)
    assert message.startswith(f"the Kubernetes API server at http://127.0.0.1:{closed_port}")
    assert "does not answer" in message
    assert "tok-3n-secret" not in message


def test_a_server_that_never_answers_times_out_without_retrying(silent: socket.socket) -> None:
    port = silent.getsockname()[1]
    with pytest.raises(ClusterError, match="does not answer: ReadTimeoutError"):
        KubeClient.from_dict(kubeconfig(f"http://127.0.0.1:{port}"), timeout=(1, 1))
    assert _connections_made(silent) == 1  # one read timeout, no retries of the read


def test_embedded_key_material_never_reaches_a_file(
    closed_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill = tmp_path / "tmp"
    spill.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill))  # where the library would write it
    user = {
        "client-certificate-data": base64.b64encode(b"CERT").decode(),
        "client-key-data": base64.b64encode(KEY).decode(),
    }
    descriptors = sum(1 for _ in Path("/proc/self/fd").iterdir())
    with pytest.raises(ClusterError) as caught:
        KubeClient.from_dict(kubeconfig(f"https://127.0.0.1:{closed_port}", user), timeout=(1, 1))
    assert list(spill.iterdir()) == []
    assert "not-a-real-key" not in str(caught.value)
    assert sum(1 for _ in Path("/proc/self/fd").iterdir()) == descriptors  # the memfds were closed


def test_embedded_key_material_is_readable_by_this_process_only_in_memory() -> None:
    from scs_kaas.kube.key_material import in_memory as _in_memory

    memfds: list[int] = []
    user = {"client-key-data": base64.b64encode(KEY).decode()}
    prepared = _in_memory(kubeconfig("https://x", user), None, memfds)
    try:
        path = prepared["users"][0]["user"]["client-key"]
        assert "client-key-data" not in prepared["users"][0]["user"]
        assert path.startswith("/proc/self/fd/")
        assert Path(path).read_bytes() == KEY
        assert str(Path(path).readlink()).startswith("/memfd:")
    finally:
        for descriptor in memfds:
            os.close(descriptor)
