"""How long after a Cluster condition flips does `kaas` notice it? Against the real API server.

    python bench/readiness.py [--rounds 20]

Brings up a local management cluster (etcd, kube-apiserver and the Cluster API controllers) on
free ports under .state/, creates a paused Cluster (CAPI leaves paused clusters alone, so the
status written here stays), and for each round waits with `kube.wait.wait_for` (a watch) in
one thread while another writes `Available=True` through the status subresource. The delay is
from sending the write to `wait_for` returning. Measured, not asserted; the goal is well
under 1 s (watches, not polling).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import condition_is, wait_for
from scs_kaas.localmgmt import ManagementCluster, MgmtPorts

REPO = Path(__file__).resolve().parents[1]
STATE = REPO / ".state" / "bench-readiness"
CLUSTER_API = "cluster.x-k8s.io/v1beta2"
NAMESPACE = "bench"


def _free_base(first: int = 29000) -> int:
    for base in range(first, 60000, MgmtPorts.count() + 2):
        if not MgmtPorts(base).busy():
            return base
    raise SystemExit("no free block of ports")


def _condition(status: str, generation: int) -> dict[str, Any]:
    return {
        "type": "Available",
        "status": status,
        "reason": "Bench" if status == "True" else "NotYet",
        "message": "",
        "observedGeneration": generation,
        "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _set_available(client: KubeClient, status: str) -> float:
    clusters = client.resource(CLUSTER_API, "Cluster")
    current = clusters.get(name="c", namespace=NAMESPACE)
    body = {"status": {"conditions": [_condition(status, int(current.metadata.generation))]}}
    # from the moment the write is sent: the watch event may arrive before its response
    sent = time.monotonic()
    clusters.status.patch(
        body=body, name="c", namespace=NAMESPACE, content_type="application/merge-patch+json"
    )
    return sent


def _round(client: KubeClient) -> float:
    _set_available(client, "False")
    noticed: list[float] = []
    ready = threading.Event()

    def watch() -> None:
        def first(kind: str, _: object) -> None:
            if kind == "ADDED":
                ready.set()

        wait_for(
            client, CLUSTER_API, "Cluster", "c", NAMESPACE, condition_is("Available"), 30, first
        )
        noticed.append(time.monotonic())

    thread = threading.Thread(target=watch)
    thread.start()
    ready.wait(10)
    written = _set_available(client, "True")
    thread.join(30)
    return noticed[0] - written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    management = ManagementCluster(STATE, MgmtPorts(_free_base()))
    started = time.monotonic()
    management.up()
    up_seconds = time.monotonic() - started
    try:
        with KubeClient.from_file(management.kubeconfig) as client:
            client.resource("v1", "Namespace").create(body={"metadata": {"name": NAMESPACE}})
            ref = {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "OpenStackCluster"}
            client.resource(CLUSTER_API, "Cluster").create(
                namespace=NAMESPACE,
                body={
                    "apiVersion": CLUSTER_API,
                    "kind": "Cluster",
                    "metadata": {"name": "c", "namespace": NAMESPACE},
                    "spec": {"paused": True, "infrastructureRef": {**ref, "name": "c"}},
                },
            )
            delays = [_round(client) for _ in range(rounds)]
    finally:
        management.down(wipe=True)
    table = Table(title=f"condition flip -> wait_for returns ({rounds} rounds, real API server)")
    for column in ("min", "median", "p95", "max", "management cluster up"):
        table.add_column(column, justify="right")
    ordered = sorted(delays)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    table.add_row(
        *(f"{value * 1000:.0f} ms" for value in (ordered[0], statistics.median(ordered), p95)),
        f"{ordered[-1] * 1000:.0f} ms",
        f"{up_seconds:.0f} s",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
