"""clusterctl, the Cluster API's own tool, run as a subprocess: provider install and `move`.

scs-kaas does not reimplement what clusterctl does (provider inventories, the object graph of a
move, pausing and resuming clusters). This adapter builds its command lines (pure functions,
tested as such) and runs them. A kubeconfig held in memory (a workload cluster's admin
kubeconfig, read from its Secret) is handed over as an inherited in-memory file, never written
to disk.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from scs_kaas import versions
from scs_kaas.errors import ClusterError

PROVIDER_WAIT_SECONDS = 600
_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")

Runner = Callable[..., "subprocess.CompletedProcess[Any]"]


@dataclass(frozen=True)
class ProviderPins:
    """The provider versions a management cluster gets (the same as on the management host)."""

    cluster_api: str = versions.CLUSTER_API
    capo: str = versions.CAPO
    caaph: str = versions.CAAPH


@dataclass(frozen=True)
class Kubeconfig:
    """Where clusterctl finds a cluster: a kubeconfig file (and context) the user gave."""

    path: str
    context: str | None = None


def init_args(kubeconfig: Kubeconfig, pins: ProviderPins) -> list[str]:
    return [
        "init",
        *_kubeconfig_args("--kubeconfig", "--kubeconfig-context", kubeconfig),
        "--core",
        f"cluster-api:{pins.cluster_api}",
        "--bootstrap",
        f"kubeadm:{pins.cluster_api}",
        "--control-plane",
        f"kubeadm:{pins.cluster_api}",
        "--infrastructure",
        f"openstack:{pins.capo}",
        "--addon",
        f"helm:{pins.caaph}",
        "--wait-providers",
        "--wait-provider-timeout",
        str(PROVIDER_WAIT_SECONDS),
    ]


def move_args(source: Kubeconfig, target: Kubeconfig, namespace: str) -> list[str]:
    return [
        "move",
        *_kubeconfig_args("--kubeconfig", "--kubeconfig-context", source),
        *_kubeconfig_args("--to-kubeconfig", "--to-kubeconfig-context", target),
        "--namespace",
        namespace,
    ]


def _kubeconfig_args(path_flag: str, context_flag: str, kubeconfig: Kubeconfig) -> list[str]:
    args = [path_flag, kubeconfig.path]
    if kubeconfig.context:
        args += [context_flag, kubeconfig.context]
    return args


def same_minor(found: str, pinned: str) -> bool:
    """Whether two versions share major.minor: clusterctl must match the CAPI it manages."""
    a, b = _VERSION.search(found), _VERSION.search(pinned)
    return bool(a and b and a.groups()[:2] == b.groups()[:2])


@dataclass(frozen=True)
class Clusterctl:
    """One clusterctl binary; `run` is the process runner (subprocess.run)."""

    binary: str
    run: Runner = subprocess.run

    @classmethod
    def find(cls, name: str = "clusterctl", run: Runner = subprocess.run) -> Clusterctl:
        path = shutil.which(name)
        if path is None:
            raise ClusterError(
                f"clusterctl is not on PATH: install clusterctl {versions.CLUSTER_API} "
                "(https://github.com/kubernetes-sigs/cluster-api/releases), or run the move "
                "on the management host, which has it"
            )
        return cls(path, run)

    def version(self) -> str:
        result = self._run(["version", "--output", "short"], capture=True)
        return str(result.stdout).strip()

    def check_version(self, pinned: str = versions.CLUSTER_API) -> str:
        found = self.version()
        if not same_minor(found, pinned):
            raise ClusterError(
                f"clusterctl {found or '(unknown version)'} does not match Cluster API {pinned} "
                f"of this scs-kaas: install clusterctl {pinned}"
            )
        return found

    def init(self, target: Kubeconfig, pins: ProviderPins, fds: Sequence[int] = ()) -> None:
        self._run(init_args(target, pins), fds=fds)

    def move(
        self, source: Kubeconfig, target: Kubeconfig, namespace: str, fds: Sequence[int] = ()
    ) -> None:
        self._run(move_args(source, target, namespace), fds=fds)

    def _run(
        self, args: list[str], capture: bool = False, fds: Sequence[int] = ()
    ) -> subprocess.CompletedProcess[Any]:
        # clusterctl's own output (progress of init and move) goes straight to the user's stderr;
        # it names objects, never secret values.
        result = self.run(
            [self.binary, *args],
            check=False,
            text=True,
            stdout=subprocess.PIPE if capture else 2,
            pass_fds=tuple(fds),
        )
        if result.returncode != 0:
            raise ClusterError(
                f"`clusterctl {args[0]}` failed (exit {result.returncode}); see its output above"
            )
        return result


@contextmanager
def in_memory_kubeconfig(text: SecretStr) -> Iterator[tuple[Kubeconfig, int]]:
    """A kubeconfig path a child process can read, backed by memory only (Linux memfd).

    Close-on-exec: only a child given it in `pass_fds` sees it; it is closed on exit.
    """
    descriptor = os.memfd_create("scs-kaas-target-kubeconfig", os.MFD_CLOEXEC)
    try:
        os.write(descriptor, text.get_secret_value().encode())
        yield Kubeconfig(f"/proc/self/fd/{descriptor}"), descriptor
    finally:
        os.close(descriptor)


def source_kubeconfig(path: Path, context: str | None) -> Kubeconfig:
    return Kubeconfig(str(path.resolve()), context)
