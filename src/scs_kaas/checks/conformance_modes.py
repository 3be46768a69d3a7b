"""The modes of `kaas check conformance`: R1's `make check*` targets as focus and skip regexes
of the e2e suite, and the hydrophone arguments that run them.

R1 ran sonobuoy 0.53 (scs-r1.md 1.20); its modes set the e2e suite's E2E_FOCUS and E2E_SKIP:
`quick` focuses on one pod test, the default (non-disruptive conformance) focuses on
`[Conformance]` and skips `[Disruptive]` and NoExecuteTaintManager, `certified-conformance`
skips nothing. R1's storage and CSI targets passed their own focus and skip. hydrophone passes
the same two regexes to the same e2e suite (E2E_FOCUS, E2E_SKIP of the conformance image).
R1 also set E2E_PROVIDER=openstack; the e2e suite's `openstack` provider is a null provider like
hydrophone's `skeleton` (test/e2e/framework/providers/openstack), so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# sonobuoy's default skip list of the quick and non-disruptive conformance modes.
NON_DISRUPTIVE_SKIP = r"\[Disruptive\]|NoExecuteTaintManager"


class ModeName(StrEnum):
    quick = "quick"
    conformance = "conformance"
    certified_conformance = "certified-conformance"
    storage = "storage"
    csi = "csi"


@dataclass(frozen=True)
class Mode:
    name: ModeName
    focus: str
    skip: str
    r1_target: str
    summary: str


MODES: dict[ModeName, Mode] = {
    mode.name: mode
    for mode in (
        Mode(
            ModeName.quick,
            "Pods should be submitted and removed",
            NON_DISRUPTIVE_SKIP,
            "check-quick",
            "one pod test: is the runner working at all (a few minutes)",
        ),
        Mode(
            ModeName.conformance,
            r"\[Conformance\]",
            NON_DISRUPTIVE_SKIP,
            "check",
            "the conformance tests but the disruptive ones (R1's default; 1-2 hours)",
        ),
        Mode(
            ModeName.certified_conformance,
            r"\[Conformance\]",
            "",
            "check-conformance",
            "every conformance test, as a CNCF certification needs (disruptive ones too)",
        ),
        Mode(
            ModeName.storage,
            "Storage",
            "Disruptive",
            "check-storage",
            "the storage tests (sig-storage, in-tree and CSI) but the disruptive ones",
        ),
        Mode(
            ModeName.csi,
            "CSI",
            "Disruptive",
            "check-csi",
            "the CSI tests but the disruptive ones",
        ),
    )
}


@dataclass(frozen=True)
class RunnerOptions:
    """How hydrophone runs: where (`namespace`, which kaas made), the results folder, and the
    knobs a user may turn. `kubeconfig` is a path the runner can read (a memfd for kaas)."""

    kubeconfig: str
    namespace: str
    output_dir: str
    parallel: int = 1
    startup_timeout: int = 300  # seconds for the conformance pod to start (image pull)
    conformance_image: str | None = None  # default: registry.k8s.io/conformance:<server version>


def runner_args(mode: Mode, options: RunnerOptions) -> list[str]:
    """hydrophone v0.8's command line for `mode`.

    The namespace exists already (kaas creates it, labelled, so that its cleanup can prove it
    is its own): `--skip-preflight` makes hydrophone use it instead of refusing.
    """
    args = [
        "--kubeconfig",
        options.kubeconfig,
        "--namespace",
        options.namespace,
        f"--skip-preflight={options.namespace}",
        "--output-dir",
        options.output_dir,
        "--focus",
        mode.focus,
        "--parallel",
        str(options.parallel),
        "--startup-timeout",
        f"{options.startup_timeout}s",
    ]
    if mode.skip:
        args += ["--skip", mode.skip]
    if options.conformance_image:
        args += ["--conformance-image", options.conformance_image]
    return args
