"""A command in a running container (what `kubectl exec` does), through the API server's exec
subresource: its output and exit status, with a bound on the time it may take.

The API server hands the stream to the node's kubelet; a cluster without one (or a container
that is not running) answers with an error, which becomes a ClusterError.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from kubernetes import client as k8s
from kubernetes.stream import stream
from kubernetes.stream.ws_client import ERROR_CHANNEL

from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.failures import LIBRARY_ERRORS, translated

MAX_OUTPUT = 64 * 1024


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str


def run_in_pod(
    client: KubeClient,
    namespace: str,
    pod: str,
    container: str,
    command: list[str],
    timeout: float,
) -> ExecResult:
    """Run `command` (no shell unless it names one); never raises on a non-zero exit."""
    where = f"pod {namespace}/{pod}"
    with translated(f"exec in {where}"):
        try:
            session = stream(
                k8s.CoreV1Api(client._api).connect_get_namespaced_pod_exec,
                pod,
                namespace,
                container=container,
                command=command,
                stdin=False,
                stdout=True,
                stderr=True,
                tty=False,
                _preload_content=False,
                _request_timeout=(client.timeout[0], timeout),
            )
        except LIBRARY_ERRORS:
            raise
        except Exception as error:  # the websocket library raises its own classes
            failed = f"exec in {where} failed: {type(error).__name__}: {error}"
            raise ClusterError(failed) from error
    try:
        session.run_forever(timeout=timeout)
        if session.is_open():
            raise ClusterError(f"exec in {where} did not finish within {timeout:g}s")
        stdout = session.read_stdout()[:MAX_OUTPUT] if session.peek_stdout() else ""
        stderr = session.read_stderr()[:MAX_OUTPUT] if session.peek_stderr() else ""
        status = session.read_channel(ERROR_CHANNEL)
    finally:
        session.close()
    return ExecResult(_exit_code(status), stdout, stderr)


def _exit_code(status_text: str) -> int:
    """The exit code from the Status the kubelet sends on the error channel."""
    if not status_text:
        return 0
    status = yaml.safe_load(status_text) or {}
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause.get("message", 1))
    return 1
