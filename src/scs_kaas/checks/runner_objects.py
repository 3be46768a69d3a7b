"""What hydrophone v0.8.0 creates in the cluster under test (pkg/conformance/const.go and
deploy.go), so that kaas can remove exactly that after a run that was stopped or failed.

hydrophone deletes them itself only after a run that got as far as fetching its results; a run
that fails to start its pod (an image that cannot be pulled, no node) or is interrupted leaves
them behind. The cluster-wide RBAC objects carry the namespace in their names.
"""

from __future__ import annotations

from dataclasses import dataclass

SERVICE_ACCOUNT = "conformance-serviceaccount"
POD = "e2e-conformance-test"
CONFORMANCE_CONTAINER = "conformance-container"
OUTPUT_CONTAINER = "output-container"
COMPONENT_LABEL = ("component", "conformance")  # on the ServiceAccount and the RBAC objects
RESULT_FILES = ("e2e.log", "junit_01.xml")


@dataclass(frozen=True)
class RunnerObjects:
    namespace: str

    @property
    def cluster_role(self) -> str:
        return f"conformance-serviceaccount:{self.namespace}"

    @property
    def cluster_role_binding(self) -> str:
        return f"conformance-serviceaccount-role:{self.namespace}"
