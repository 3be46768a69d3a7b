"""A real management cluster on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager and
the Cluster API controllers (core, kubeadm bootstrap and control plane, CAPO, ORC, CAAPH) as
local processes, with their CRDs, webhooks and clusterctl's provider inventory installed.

Stopped by PID (see `localcloud.processes`); every `up` starts from an empty etcd, like the
local cloud starts from empty databases.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scs_kaas.errors import CloudError, ClusterError
from scs_kaas.files import write_atomic
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud.locking import exclusive
from scs_kaas.localcloud.processes import running, start_detached, stop_together
from scs_kaas.localcloud.waiting import wait_until
from scs_kaas.localmgmt import commands, components, probes, programs
from scs_kaas.localmgmt.commands import Process
from scs_kaas.localmgmt.layout import Layout
from scs_kaas.localmgmt.ports import Ports

Progress = Callable[[str], None]
DEFAULT_STATE_DIR = Path("~/.local/state/scs-kaas/devcloud/management")
CONTEXT = "kaas-local-management"
FIELD_MANAGER = "scs-kaas-localmgmt"
START_TIMEOUT = 120.0
# Controllers first, etcd last: nothing should lose its API server while it still runs.
_STOP_ORDER = (
    *(p.binary for p in components.PROVIDERS),
    "kube-controller-manager",
    "kube-apiserver",
    "etcd",
)


def _quiet(_: str) -> None:
    pass


class ExitedEarly(ClusterError):
    """A process of the management cluster ended while it was being started."""


@dataclass(frozen=True)
class ProcessStatus:
    name: str
    pid: int | None
    port: int | None
    answers: bool


class ManagementCluster:
    """One local management cluster under a state folder."""

    def __init__(
        self,
        state_dir: Path,
        ports: Ports | None = None,
        bin_root: Path | None = None,
        providers: bool = True,
        controllers: Sequence[str] = commands.MANAGEMENT_CONTROLLERS,
    ) -> None:
        """`providers=False`: a plain API server (built-in kinds only), as a workload cluster;
        `controllers`: those kube-controller-manager runs (a workload cluster's binds volumes
        and makes the pods of Deployments, for example)."""
        self.layout = Layout.at(state_dir)
        self._ports = ports
        self.bin_root = bin_root
        self.providers = components.PROVIDERS if providers else ()
        self.controllers = tuple(controllers)

    @property
    def ports(self) -> Ports:
        return self._ports or self.layout.load_ports() or Ports()

    @property
    def kubeconfig(self) -> Path:
        return self.layout.kubeconfig

    def _binary(self, name: str) -> Path:
        return programs.binary_path(programs.by_name(name), self.bin_root)

    def _processes(self) -> list[Process]:
        layout, ports = self.layout, self.ports
        result = [
            commands.etcd(self._binary("etcd"), layout, ports),
            commands.kube_apiserver(self._binary("kube-apiserver"), layout, ports),
            commands.kube_controller_manager(
                self._binary("kube-controller-manager"), layout, ports, self.controllers
            ),
        ]
        result += [
            commands.controller(self._binary(p.binary), p, layout, ports) for p in self.providers
        ]
        return result

    # -- status ------------------------------------------------------------------------------

    def status(self) -> list[ProcessStatus]:
        result = []
        for process in self._processes():
            record = running(self.layout.pid_file(process.name))
            answers = record is not None and probes.answers(process.health_url, self.layout.pki)
            if answers and process.webhook_port is not None:
                answers = probes.serves_tls(process.webhook_port, self.layout.pki)
            port = int(process.health_url.rsplit(":", 1)[1].split("/", 1)[0])
            result.append(
                ProcessStatus(process.name, record.pid if record else None, port, answers)
            )
        return result

    def running_processes(self) -> list[str]:
        return [p.name for p in self._processes() if running(self.layout.pid_file(p.name))]

    def is_up(self) -> bool:
        return all(s.answers for s in self.status())

    # -- up ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.layout.root.mkdir(parents=True, exist_ok=True)
        with exclusive(self.layout.root / ".lock"):
            yield

    def up(self, progress: Progress = _quiet) -> None:
        """Build what is missing, start everything, install the providers; idempotent."""
        with self._locked():
            if self.is_up():
                progress("management cluster already running")
                return
            self._refuse_moving_a_running_cluster()
            programs.build(root=self.bin_root, progress=progress)
            self._stop_all()
            ports = self.ports
            busy = ports.busy()
            if busy:
                raise ClusterError(
                    f"ports {', '.join(map(str, busy))} on 127.0.0.1 are in use; choose other"
                    " management ports (--mgmt-port-base)"
                )
            self.layout.save_ports(ports)
            try:
                self._start_all(progress)
            except BaseException:
                self._stop_all()
                raise

    def _refuse_moving_a_running_cluster(self) -> None:
        # `up` restarts a partly running cluster from an empty etcd. Asked for other ports than
        # the ones it runs on, that would silently end a working cluster under its users (and
        # its kubeconfig would change under them): say so instead.
        saved = self.layout.load_ports()
        if self._ports is None or saved is None or saved == self._ports:
            return
        if any(running(self.layout.pid_file(p.name)) for p in self._processes()):
            raise ClusterError(
                f"the management cluster in {self.layout.root} runs on port base {saved.base},"
                f" not {self._ports.base}; stop it first (kaas devcloud down) or keep its ports"
            )

    def _start_all(self, progress: Progress) -> None:
        layout = self.layout
        shutil.rmtree(layout.etcd_data, ignore_errors=True)
        for folder in (layout.logs, layout.run):
            folder.mkdir(parents=True, exist_ok=True)
        layout.pki.ensure()
        processes = {p.name: p for p in self._processes()}
        progress("starting etcd and kube-apiserver")
        self._start(processes["etcd"])
        self._wait_ready([processes["etcd"]])
        self._start(processes["kube-apiserver"])
        self._wait_ready([processes["kube-apiserver"]])
        self._write_kubeconfig()
        self._start(processes["kube-controller-manager"])
        if not self.providers:
            self._wait_ready([processes["kube-controller-manager"]])
            progress(f"API server ready: {self.kubeconfig}")
            return
        progress("installing the providers' CRDs and clusterctl's inventory")
        kustomize = self._binary("kustomize")
        localized = {
            p.name: components.localize(
                components.kustomize_build(kustomize, p),
                p,
                self.ports.provider(p.name, "webhook"),
                layout.pki.ca_pem(),
            )
            for p in self.providers
        }
        with self.client() as client:
            before = [components.clusterctl_crd()]
            for parts in localized.values():
                before += parts.before_start
            _apply(client, before)
            _wait_established(
                client, [d for d in before if d["kind"] == "CustomResourceDefinition"]
            )
        with self.client() as client:
            inventory = [components.inventory_entry(p) for p in self.providers]
            _apply(client, [entry for entry in inventory if entry is not None])
        progress("starting the Cluster API controllers")
        controllers = [processes[p.binary] for p in self.providers]
        for process in controllers:
            self._start(process)
        self._wait_ready([processes["kube-controller-manager"], *controllers])
        with self.client() as client:
            _apply(client, [d for parts in localized.values() for d in parts.webhooks])
        progress(f"management cluster ready: {self.kubeconfig}")

    def _start(self, process: Process) -> None:
        start_detached(
            process.argv,
            {
                "PATH": "/usr/bin:/bin",
                "HOME": str(self.layout.root),
                "KUBECONFIG": str(self.kubeconfig),
            },
            self.layout.pid_file(process.name),
            self.layout.logs / f"{process.name}.log",
            self.layout.root,
        )

    def _wait_ready(self, processes: list[Process], timeout: float = START_TIMEOUT) -> None:
        pki = self.layout.pki
        late: list[str] = []

        def ready() -> bool:
            late.clear()
            for process in processes:
                if running(self.layout.pid_file(process.name)) is None:
                    log = self.layout.logs / f"{process.name}.log"
                    raise ExitedEarly(f"{process.name} exited during start-up; see {log}")
                answers = probes.answers(process.health_url, pki)
                if answers and process.webhook_port is not None:
                    answers = probes.serves_tls(process.webhook_port, pki)
                if not answers:
                    late.append(process.name)
            return not late

        try:
            wait_until(ready, timeout, "the management cluster's processes")
        except CloudError as error:  # the timeout
            raise ClusterError(
                f"{', '.join(late)} did not become ready within {timeout:.0f} s;"
                f" see {self.layout.logs}"
            ) from error

    def _write_kubeconfig(self) -> None:
        pki = self.layout.pki

        def b64(path: Path) -> str:
            return base64.b64encode(path.read_bytes()).decode()

        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": CONTEXT,
                    "cluster": {
                        "server": f"https://127.0.0.1:{self.ports.apiserver}",
                        "certificate-authority-data": b64(pki.ca_cert),
                    },
                }
            ],
            "users": [
                {
                    "name": "kaas-admin",
                    "user": {
                        "client-certificate-data": b64(pki.admin_cert),
                        "client-key-data": b64(pki.admin_key),
                    },
                }
            ],
            "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": "kaas-admin"}}],
            "current-context": CONTEXT,
        }
        write_atomic(self.kubeconfig, yaml.safe_dump(config), mode=0o600)

    def client(self) -> KubeClient:
        """A client for the admin kubeconfig."""
        return KubeClient.from_file(self.kubeconfig)

    # -- down --------------------------------------------------------------------------------

    def _stop_all(self) -> list[str]:
        stopped: list[str] = []
        for group in (
            [n for n in _STOP_ORDER if n not in {"kube-apiserver", "etcd"}],
            ["kube-apiserver"],
            ["etcd"],
        ):
            files = [self.layout.pid_file(n) for n in group]
            stopped += [f.stem for f in stop_together(files)]
        return stopped

    def down(self, wipe: bool = False) -> list[str]:
        """Stop exactly what `up` started; `wipe` also deletes the state (PKI, etcd, logs)."""
        with self._locked():
            stopped = self._stop_all()
        if wipe:
            shutil.rmtree(self.layout.root, ignore_errors=True)
        return stopped


def _apply(client: KubeClient, documents: list[dict[str, Any]]) -> None:
    apply(client, documents, field_manager=FIELD_MANAGER)


def _wait_established(client: KubeClient, crds: list[dict[str, Any]], timeout: float = 60) -> None:
    names = [str(d["metadata"]["name"]) for d in crds]

    def established() -> bool:
        for name in names:
            found = client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
            conditions = ((found or {}).get("status") or {}).get("conditions") or []
            if not any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                return False
        return True

    wait_until(established, timeout, "the providers' CRDs to be established")
