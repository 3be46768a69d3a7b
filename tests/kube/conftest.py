"""An emulated API server on 127.0.0.1, in its own thread and event loop, and clients for it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import kmock
import pytest
import yaml

from scs_kaas.kube.client import KubeClient
from tests.helpers import SHARED
from tests.kube.emulator import ApiServer

CRDS = SHARED / "crds"
T = TypeVar("T")


@dataclass
class Emulator:
    """The running server: its URL, the handler (for looking at stored objects) and its loop."""

    url: str
    server: ApiServer
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the server's loop (the only thread that touches its state)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def stored(self, api_version: str, kind: str, namespace: str | None) -> dict[str, Any]:
        """{name: object} of what the server holds of `kind`, read on its own loop."""
        group, _, version = api_version.rpartition("/")

        async def read() -> dict[str, Any]:
            (resource,) = [
                r
                for r in self.server.resources
                if (r.group, r.version) == (group, version)
                if self.server.resources[r].kind == kind
            ]
            return {
                name: obj.raw
                for (res, ns, name), obj in self.server.objects.items()
                if res == resource and ns == namespace and not obj.deleted
            }

        return self.run(read())

    def refuse_writes(
        self, plural: str, namespace: str | None, name: str, status: int = 500, times: int = 1
    ) -> None:
        """Fault injection: the next `times` writes to that object fail with HTTP `status`."""

        async def install() -> None:
            self.server.refuse_writes(plural, namespace, name, status, times)

        self.run(install())

    def refused(self) -> list[tuple[str, str | None, str]]:
        """(plural, namespace, name) of every write refused so far."""

        async def read() -> list[tuple[str, str | None, str]]:
            return list(self.server.refused)

        return self.run(read())

    def kubeconfig(self, context: str = "emulator") -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "emulator", "cluster": {"server": self.url}}],
            "users": [{"name": "admin", "user": {"token": "emulator-token-not-secret"}}],
            "contexts": [{"name": context, "context": {"cluster": "emulator", "user": "admin"}}],
            "current-context": context,
        }


def _serve(crds: Path | None, started: Future[Emulator], stop: threading.Event) -> None:
    async def main() -> None:
        async with ApiServer(crds=crds) as handler, kmock.Server(handler) as server:
            loop = asyncio.get_running_loop()
            started.set_result(Emulator(str(server.url).rstrip("/"), handler, loop))
            await loop.run_in_executor(None, stop.wait)

    try:
        asyncio.run(main())
    except BaseException as error:
        if not started.done():
            started.set_exception(error)
        raise


@contextlib.contextmanager
def running(crds: Path | None) -> Iterator[Emulator]:
    """An emulator serving until the block ends; `crds=None` serves only the built-in kinds."""
    started: Future[Emulator] = Future()
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(crds, started, stop), daemon=True)
    thread.start()
    try:
        emulated = started.result(timeout=30)
        yield emulated
    finally:
        stop.set()
        thread.join(timeout=30)
    # A request the emulator itself could not handle is a bug of the emulator, not a 500 to accept.
    assert not emulated.server.failures, emulated.server.failures


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """The management cluster: built-in kinds and the Cluster API CRDs."""
    if not CRDS.is_dir():
        pytest.skip(f"{CRDS} is absent: the Cluster API CRDs are needed for discovery")
    with running(CRDS) as server:
        yield server


@pytest.fixture
def workload_emulator() -> Iterator[Emulator]:
    """A second API server, as a workload cluster: built-in kinds only."""
    with running(None) as server:
        yield server


@pytest.fixture
def kubeconfig_file(emulator: Emulator, tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(emulator.kubeconfig()), encoding="utf-8")
    return path


@pytest.fixture
def kube(kubeconfig_file: Path) -> Iterator[KubeClient]:
    client = KubeClient.from_file(kubeconfig_file, timeout=(2.0, 10.0))
    yield client
    client.close()
