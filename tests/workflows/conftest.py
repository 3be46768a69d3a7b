"""Emulated API servers for workflows that talk to clusters: the management cluster of
tests/kube (`kube`) and a second one (`target`): a workload cluster taking over management."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scs_kaas.kube.client import KubeClient
from tests.kube.conftest import (
    CRDS,
    Emulator,
    emulator,
    kube,
    kubeconfig_file,
    running,
    workload_emulator,
)

__all__ = [
    "emulator",
    "kube",
    "kubeconfig_file",
    "target",
    "target_emulator",
    "workload_emulator",
]


@pytest.fixture
def target_emulator() -> Iterator[Emulator]:
    """A workload cluster that becomes a management cluster: it serves the CAPI CRDs too."""
    with running(CRDS) as server:
        yield server


@pytest.fixture
def target(target_emulator: Emulator) -> Iterator[KubeClient]:
    client = KubeClient.from_dict(target_emulator.kubeconfig(), timeout=(2.0, 10.0))
    yield client
    client.close()
