"""One exception hierarchy; the CLI maps each class to an exit code and one clear message.

The cause of an error is kept (`raise ClusterError(...) from error`) wherever it carries no
secret: `-v` shows tracebacks, and the library's exception under ours is what tells a
network failure from a refusal. It is cut (`from None`) only where the cause could hold a
secret: an HTTP error whose text may echo the request (an applied manifest, a Secret, a
kubeconfig, an OpenStack request with credentials), a parse error quoting a line of a file
with credentials in it. The message itself never holds a secret either way.
"""

from __future__ import annotations

from dataclasses import dataclass


class KaasError(Exception):
    """Base of every error the tool raises on purpose; exit code 1 unless a subclass says so."""

    exit_code = 1


@dataclass(frozen=True)
class SettingProblem:
    """One invalid setting: where it is, what was given and what is allowed."""

    setting: str
    message: str
    value: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        text = f"{self.setting}: {self.message}"
        if self.value is not None:
            text += f" (got {self.value})"
        if self.source:
            text += f" [{self.source}]"
        return text


class SettingsError(KaasError):
    """Invalid input: bad names, CIDRs, versions, YAML. Raised before any cloud call."""

    exit_code = 2

    def __init__(self, problems: list[SettingProblem], omitted: int = 0) -> None:
        self.problems = problems
        # Problems found but not listed: thousands of them help nobody and cost minutes.
        self.omitted = omitted
        more = [f"... and {omitted} more problems"] if omitted else []
        super().__init__("\n".join([*(str(p) for p in problems), *more]))


class CloudError(KaasError):
    """An OpenStack call failed or the cloud lacks something the tool needs."""


class ClusterError(KaasError):
    """A Kubernetes / Cluster API operation failed."""


class Cancelled(KaasError):
    """The caller asked a running transfer (a download, an image upload) to stop."""


class WaitTimeout(ClusterError):
    """A wait ran out of its time, or a Kubernetes API server did not answer a request in time."""


class NotFound(ClusterError):
    """The object (or its namespace) does not exist (HTTP 404)."""


class Conflict(ClusterError):
    """The object is not at the version the request named, or exists already (HTTP 409)."""
