"""The steps of `kaas check smoke`, in order, and the exit code that names each one.

A run stops at the first step that fails and exits with that step's code; the cleanup runs in
any case (unless --keep), and a failed cleanup after an otherwise good run exits with its own
code. 0 is success, 1 and 2 keep their meaning for the whole tool (a failure before the first
step, such as an unreachable management cluster; bad input), 130 is an interruption.
"""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    prepare = "prepare"  # connect, find the classes, remove what an earlier run left
    deploy = "deploy"  # namespace, claim, Deployment, Service (Ingress)
    volume = "volume"  # the claim is Bound
    pod = "pod"  # the app's pod is Ready
    load_balancer = "load-balancer"  # the Service has an address
    http = "http"  # the app answers through the load balancer
    ingress = "ingress"  # ... and through the ingress controller
    snapshot = "snapshot"  # a VolumeSnapshot is ready to use
    write = "write"  # a file written to the volume
    reschedule = "reschedule"  # the pod deleted, its replacement Ready
    read = "read"  # the new pod reads the file back
    cleanup = "cleanup"  # everything removed; the load balancer and volume gone


ORDER: tuple[Step, ...] = tuple(Step)
FIRST_CODE = 10
EXIT_CODES = {step: FIRST_CODE + index for index, step in enumerate(ORDER)}
INTERRUPTED = 130
