"""The console script against emulated API servers: the fixtures of tests/workflows."""

from tests.workflows.conftest import emulator, kube, kubeconfig_file, target, target_emulator

__all__ = ["emulator", "kube", "kubeconfig_file", "target", "target_emulator"]
