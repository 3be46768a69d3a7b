"""`kaas check smoke` and `kaas check conformance`: is a workload cluster usable, and conformant?

Only typer and rich here: the workflows (kubernetes, openstack) are imported by the commands.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from scs_kaas.checks.conformance_modes import MODES, ModeName
from scs_kaas.checks.smoke_steps import EXIT_CODES, ORDER
from scs_kaas.cli.management_session import CONTEXT, KUBECONFIG, ClusterFlags, management_session
from scs_kaas.cli.options import CLUSTER_FILE, ENV_DIR, SETTINGS_FLAGS
from scs_kaas.cli.output import TABLE_JSON, OutputFormat, console, emit

if TYPE_CHECKING:  # the workflows and clients are imported by the commands that use them
    from scs_kaas.workflows.check.conformance import ConformanceReport
    from scs_kaas.workflows.check.target import WorkloadAccess
    from scs_kaas.workflows.progress import StepEvent


def _plain(regex: str) -> str:
    """A focus or skip regex as the text it matches (rich help would eat its backslashes)."""
    return regex.replace("\\", "")


_MODES_HELP = "\n\n".join(
    escape(
        f"{mode.name.value}: {mode.summary} (R1's make {mode.r1_target}; tests matching"
        f" '{_plain(mode.focus)}'"
        + (f", except '{_plain(mode.skip)}')" if mode.skip else ", nothing skipped)")
    )
    for mode in MODES.values()
)
_CODES_HELP = ", ".join(f"{EXIT_CODES[step]} {step.value}" for step in ORDER)

app = typer.Typer(
    help="Check a workload cluster: `smoke` (an app with a volume, a load balancer and an "
    "ingress) and `conformance` (the Kubernetes e2e suite through hydrophone).\n\n"
    f"Conformance modes:\n\n{_MODES_HELP}",
    no_args_is_help=True,
)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A `kill` (SIGTERM) cleans up like Ctrl-C does; only SIGKILL leaves things for the next
    run to remove first."""

    def interrupt(_signal: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _access(flags: ClusterFlags) -> WorkloadAccess:
    from scs_kaas.workflows.check.target import workload_access

    with management_session(flags) as session:
        return workload_access(session.kube, session.settings, session.name)


def _print_step(event: StepEvent) -> None:
    marks = {"start": "…", "passed": "✓", "failed": "✗", "skipped": "-", "interrupted": "!"}
    if event.phase == "start":
        console(stderr=True).print(f"… {event.step}")
        return
    mark = marks.get(event.phase, " ")
    console(stderr=True).print(f"{mark} {event.step:<14} {event.phase:<11} {escape(event.detail)}")


@app.command("smoke")
def smoke(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    keep: bool = typer.Option(
        False, "--keep", help="Leave the app in place to look at (the next run removes it)."
    ),
    timeout: float = typer.Option(300.0, "--timeout", min=1, help="Seconds for each wait."),
    cleanup_timeout: float = typer.Option(
        600.0, "--cleanup-timeout", min=1, help="Seconds for the load balancer and volume to go."
    ),
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Run a web app with a volume in the cluster, reach it through a load balancer (and the
    ingress controller), move its pod and read its data back, snapshot the volume, remove it all.

    In the namespace kaas-check-smoke of the workload cluster (its admin kubeconfig read from
    the management cluster, held in memory). Each step waits by watching, up to --timeout, and
    is reported with its time. Everything made is removed at the end, after a failure and after
    Ctrl-C or a kill too, and the check waits until the cloud's load balancer and volume are
    gone; a run killed hard is cleaned up by the next one first.

    Exit code 0 when every step passed, else the failed step's:
    """
    from scs_kaas.workflows.check import smoke as check_smoke
    from scs_kaas.workflows.check.smoke import SmokeOptions

    access = _access(ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context))
    options = SmokeOptions(timeout, cleanup_timeout, keep)
    with _sigterm_as_interrupt():
        report = check_smoke.run(access, options, _print_step)
    if output is OutputFormat.json:
        emit({"cluster": str(access.target), **dataclasses.asdict(report)}, output)
    else:
        table = Table(title=f"Smoke check of {access.target}")
        for column in ("step", "result", "seconds", "detail"):
            table.add_column(column)
        for step in report.steps:
            table.add_row(step.step, step.status, f"{step.seconds:.1f}", escape(step.detail))
        err = console(stderr=True)
        err.print(table)
        verdict = "passed" if report.ok else f"failed at {report.failed_step}"
        err.print(f"smoke check {verdict} (exit code {report.exit_code})")
    raise typer.Exit(report.exit_code)


smoke.__doc__ = f"{smoke.__doc__} {_CODES_HELP}; 1 before the first step, 130 interrupted."


@app.command("conformance")
def conformance(
    name: str = typer.Argument(..., help="Cluster name."),
    mode: ModeName = typer.Option(
        ModeName.quick, "--mode", case_sensitive=False, help="Which tests (see `kaas check`)."
    ),
    results_dir: Path | None = typer.Option(
        None,
        "--results",
        file_okay=False,
        help="Folder for the raw results (e2e.log, junit_01.xml, hydrophone.log);"
        " default ./conformance-NAME-MODE.",
    ),
    runner: Path | None = typer.Option(
        None,
        "--runner",
        dir_okay=False,
        help="The hydrophone binary; default: hydrophone on $PATH.",
    ),
    parallel: int = typer.Option(1, "--parallel", min=1, max=32, help="Ginkgo processes."),
    startup_timeout: int = typer.Option(
        300, "--startup-timeout", min=1, help="Seconds for the conformance pod to start."
    ),
    conformance_image: str | None = typer.Option(
        None,
        "--conformance-image",
        help="Default: registry.k8s.io/conformance:<the cluster's version>.",
    ),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Run the Kubernetes e2e suite in the cluster with hydrophone and sum up its results.

    The runner's output is shown as it runs; the raw results stay in --results. Exit code 0
    when tests ran and none failed; 1 when any failed, none ran, or the runner failed (the
    message says why); 2 for bad input; 130 when interrupted. Runs where hydrophone is
    installed (the management host has it), else says what to install.
    """
    from scs_kaas.workflows.check import conformance as check_conformance
    from scs_kaas.workflows.check.conformance import ConformanceOptions, find_runner

    chosen = MODES[mode]
    found = find_runner(runner)  # before any cluster call: a missing tool says so at once
    folder = results_dir or Path(f"conformance-{name}-{chosen.name.value}")
    access = _access(ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context))
    options = ConformanceOptions(folder, found, parallel, startup_timeout, conformance_image)
    err = console(stderr=True)
    with _sigterm_as_interrupt():
        report = check_conformance.run(
            access, chosen, options, _print_step, lambda line: err.print(escape(line))
        )
    if output is OutputFormat.json:
        emit(report, output)
    else:
        _print_summary(report)
    raise typer.Exit(report.exit_code)


def _print_summary(report: ConformanceReport) -> None:
    err = console(stderr=True)
    found = report.results
    if found is not None:
        err.print(
            f"{report.mode}: {found.passed} passed, {found.failed} failed,"
            f" {found.skipped} skipped (of {found.specs} specs; from {found.source})"
        )
        for failure in (*found.setup_failures, *found.failures):
            detail = f": {escape(failure.message)}" if failure.message else ""
            err.print(f"  [{failure.status}] {escape(failure.name)}{detail}")
        for note in found.notes:
            err.print(f"note: {escape(note)}")
    if report.problem:
        err.print(f"conformance check failed: {escape(report.problem)}")
    else:
        err.print("conformance check passed")
    err.print(f"raw results in {escape(report.results_dir)}")
