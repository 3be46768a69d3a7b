"""Failure on cue from a real API server: a ValidatingAdmissionPolicy (admissionregistration.k8s.io
/v1) of the test's own that denies writes to one named object, removed when the block ends.

The API server loads policies from its informers, a moment after they are created or deleted:
`refusing` waits (a dry-run write of the object, polled with a timeout) until the denial is in
force, and after removal until it is gone again, so the test sees exactly the writes it expects
refused. Denials are HTTP 403 (`reason="Forbidden"`) or 422 (`"Invalid"`), the message names the
policy.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException

from scs_kaas.errors import KaasError
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud.waiting import wait_until

ADMISSION = "admissionregistration.k8s.io/v1"
MESSAGE = "write refused by a test's admission policy"
WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Refusal:
    """The policy in force: its name (in every denial's message) and what it refuses."""

    policy: str
    api_version: str
    kind: str
    namespace: str | None
    name: str
    operations: tuple[str, ...]

    def denied(self, error: BaseException | str) -> bool:
        """Whether `error` (an ApiException or a message naming one) is this policy's denial."""
        return self.policy in str(error) and MESSAGE in str(error)


def _policy(refusal: Refusal, plural: str, reason: str) -> list[dict[str, Any]]:
    group, _, _ = refusal.api_version.rpartition("/")
    rule: dict[str, Any] = {
        "apiGroups": [group],
        "apiVersions": ["*"],
        "operations": list(refusal.operations),
        "resources": [plural],
        "resourceNames": [refusal.name],
    }
    if refusal.namespace is not None:
        rule["scope"] = "Namespaced"
    constraints: dict[str, Any] = {"resourceRules": [rule]}
    if refusal.namespace is not None:
        constraints["namespaceSelector"] = {
            "matchLabels": {"kubernetes.io/metadata.name": refusal.namespace}
        }
    return [
        {
            "apiVersion": ADMISSION,
            "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": refusal.policy},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": constraints,
                "validations": [{"expression": "false", "message": MESSAGE, "reason": reason}],
            },
        },
        {
            "apiVersion": ADMISSION,
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": refusal.policy},
            "spec": {"policyName": refusal.policy, "validationActions": ["Deny"]},
        },
    ]


def _probe(kube: KubeClient, refusal: Refusal, create_body: dict[str, Any] | None) -> bool:
    """A dry-run write of the object (nothing stored): True when the policy refused it."""
    resource = kube.resource(refusal.api_version, refusal.kind)
    try:
        exists = bool(
            resource.get(
                namespace=refusal.namespace,
                field_selector=f"metadata.name={refusal.name}",
            ).items
        )
        if exists and {"UPDATE", "DELETE"} & set(refusal.operations):
            if "UPDATE" in refusal.operations:
                resource.patch(
                    name=refusal.name,
                    namespace=refusal.namespace,
                    body={"metadata": {"annotations": {"test/probe": uuid.uuid4().hex}}},
                    content_type="application/merge-patch+json",
                    dry_run="All",
                )
            else:
                resource.delete(name=refusal.name, namespace=refusal.namespace, dry_run="All")
        elif not exists and "CREATE" in refusal.operations:
            body = create_body or {
                "apiVersion": refusal.api_version,
                "kind": refusal.kind,
                "metadata": {"name": refusal.name, "namespace": refusal.namespace},
            }
            resource.create(body=body, namespace=refusal.namespace, dry_run="All")
        else:
            raise KaasError(f"no dry-run write shows whether {refusal} is in force")
    except ApiException as error:
        if refusal.denied(error.body or ""):
            return True
        raise
    return False


@contextlib.contextmanager
def refusing(
    kube: KubeClient,
    api_version: str,
    kind: str,
    namespace: str | None,
    name: str,
    operations: Sequence[str] = ("CREATE", "UPDATE"),
    reason: str = "Forbidden",
    create_body: dict[str, Any] | None = None,
) -> Iterator[Refusal]:
    """Writes (`operations`) to `kind` `namespace/name` are denied inside the block."""
    refusal = Refusal(
        f"test-refuse-{uuid.uuid4().hex[:10]}",
        api_version,
        kind,
        namespace,
        name,
        tuple(operations),
    )
    plural = kube.resource(api_version, kind).name
    documents = _policy(refusal, plural, reason)
    made: list[tuple[str, str]] = []
    try:
        for document in documents:
            kube.resource(ADMISSION, document["kind"]).create(body=document)
            made.append((document["kind"], document["metadata"]["name"]))
        wait_until(
            lambda: _probe(kube, refusal, create_body),
            WAIT_SECONDS,
            f"admission policy {refusal.policy} in force",
        )
        yield refusal
    finally:
        for kind_made, name_made in reversed(made):
            kube.resource(ADMISSION, kind_made).delete(name=name_made)
        if made:
            wait_until(
                lambda: not _probe(kube, refusal, create_body),
                WAIT_SECONDS,
                f"admission policy {refusal.policy} gone",
            )
