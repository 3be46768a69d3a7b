"""The command line of every process of the local management cluster.

Every listener is on 127.0.0.1: etcd and the API server by their flags, the controllers' health
and metrics by address flags, their webhook servers by the build (see `programs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scs_kaas.localmgmt.components import Provider
from scs_kaas.localmgmt.layout import Layout
from scs_kaas.localmgmt.ports import Ports

SERVICE_CIDR = "10.96.0.0/12"
# What every cluster runs and a management cluster needs: namespace deletion, garbage
# collection and service-account tokens. No pods run on a management cluster here, so nothing
# that makes, schedules or binds them.
MANAGEMENT_CONTROLLERS = (
    "namespace-controller",
    "garbage-collector-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
)
# Flags of controller-runtime managers built on CAPI's `flags.AddManagerOptions`.
_CAPI_STYLE = {
    "capi-manager",
    "kubeadm-bootstrap-manager",
    "kubeadm-control-plane-manager",
    "capo-manager",
    "caaph-manager",
}


@dataclass(frozen=True)
class Process:
    name: str
    argv: list[str]
    health_url: str  # answers 200 when the process is ready
    webhook_port: int | None = None


def etcd(binary: Path, layout: Layout, ports: Ports) -> Process:
    client = f"http://127.0.0.1:{ports.fixed('etcd')}"
    peer = f"http://127.0.0.1:{ports.fixed('etcd_peer')}"
    argv = [
        str(binary),
        "--name=local",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=local={peer}",
        "--listen-metrics-urls=",
        # one member on a laptop or CI disk: fsync is the bottleneck of every write
        "--unsafe-no-fsync",
        "--log-level=warn",
    ]
    return Process("etcd", argv, f"{client}/health")


def kube_apiserver(binary: Path, layout: Layout, ports: Ports) -> Process:
    pki = layout.pki
    argv = [
        str(binary),
        f"--etcd-servers=http://127.0.0.1:{ports.fixed('etcd')}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={ports.apiserver}",
        f"--tls-cert-file={pki.serving_cert}",
        f"--tls-private-key-file={pki.serving_key}",
        f"--client-ca-file={pki.ca_cert}",
        f"--service-account-key-file={pki.service_account_pub}",
        f"--service-account-signing-key-file={pki.service_account_key}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--authorization-mode=Node,RBAC",
        "--allow-privileged=true",
        # Nothing runs pods here; the endpoint reconciler would write an unreachable address.
        "--endpoint-reconciler-type=none",
        "--profiling=false",
        "--v=0",
    ]
    return Process("kube-apiserver", argv, f"https://127.0.0.1:{ports.apiserver}/readyz")


def kube_controller_manager(
    binary: Path,
    layout: Layout,
    ports: Ports,
    controllers: Sequence[str] = MANAGEMENT_CONTROLLERS,
) -> Process:
    """The named controllers (their names in `kube-controller-manager --help`)."""
    pki = layout.pki
    port = ports.fixed("controller_manager")
    argv = [
        str(binary),
        f"--kubeconfig={layout.kubeconfig}",
        f"--authentication-kubeconfig={layout.kubeconfig}",
        f"--authorization-kubeconfig={layout.kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        f"--tls-cert-file={pki.serving_cert}",
        f"--tls-private-key-file={pki.serving_key}",
        "--leader-elect=false",
        f"--controllers={','.join(controllers)}",
        f"--service-account-private-key-file={pki.service_account_key}",
        f"--root-ca-file={pki.ca_cert}",
        "--use-service-account-credentials=false",
        "--v=0",
    ]
    return Process("kube-controller-manager", argv, f"https://127.0.0.1:{port}/healthz")


def controller(binary: Path, provider: Provider, layout: Layout, ports: Ports) -> Process:
    """One provider's manager: leader election off, webhooks and probes on our ports."""
    health = ports.provider(provider.name, "health")
    metrics = ports.provider(provider.name, "metrics")
    argv = [str(binary), f"--kubeconfig={layout.kubeconfig}", "--leader-elect=false"]
    webhook: int | None = None
    if provider.binary in _CAPI_STYLE:
        webhook = ports.provider(provider.name, "webhook")
        argv += [
            f"--webhook-port={webhook}",
            f"--webhook-cert-dir={layout.pki.webhook_dir}",
            f"--health-addr=127.0.0.1:{health}",
            f"--diagnostics-address=127.0.0.1:{metrics}",
            "--insecure-diagnostics",
        ]
    else:  # ORC: kubebuilder's flags, no webhooks
        argv += [
            f"--health-probe-bind-address=127.0.0.1:{health}",
            f"--metrics-bind-address=127.0.0.1:{metrics}",
            "--metrics-secure=false",
        ]
    return Process(provider.binary, argv, f"http://127.0.0.1:{health}/readyz", webhook)
