"""`up` against a running cluster's state folder, on the real plain API server of the session."""

from __future__ import annotations

import pytest

from scs_kaas.errors import ClusterError
from scs_kaas.localmgmt import ManagementCluster, MgmtPorts
from tests.support.management import free_port_base


def test_up_on_other_ports_refuses_to_restart_a_running_cluster(
    workload_apiserver: ManagementCluster,
) -> None:
    running = workload_apiserver
    other_base = free_port_base(running.ports.base + MgmtPorts.count() + 2)
    moved = ManagementCluster(running.layout.root, MgmtPorts(other_base), providers=False)
    with pytest.raises(ClusterError, match=rf"runs on port base {running.ports.base}, not"):
        moved.up()
    assert running.is_up()
    assert f":{running.ports.apiserver}" in running.kubeconfig.read_text(encoding="utf-8")


def test_up_on_its_own_ports_is_a_no_op(workload_apiserver: ManagementCluster) -> None:
    again = ManagementCluster(
        workload_apiserver.layout.root, workload_apiserver.ports, providers=False
    )
    messages: list[str] = []
    again.up(progress=messages.append)
    assert messages == ["management cluster already running"]
