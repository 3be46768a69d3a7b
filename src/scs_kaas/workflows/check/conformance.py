"""`kaas check conformance`: the e2e suite in the workload cluster through hydrophone, its
results kept in a folder of the user's and summed up (see checks.conformance_results).

kaas drives the real hydrophone binary (pinned in versions.HYDROPHONE). It first makes the
runner's namespace, labelled as the check's, so that what a stopped or failed run leaves can be
told apart from anything else and removed (checks.runner_objects: hydrophone itself removes its
objects only after a run that fetched its results); a namespace of that name without the labels
is refused. The admin kubeconfig reaches the runner as a memory-backed file, never a disk.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scs_kaas import naming, versions
from scs_kaas.checks import conformance_results as results
from scs_kaas.checks.conformance_modes import Mode, RunnerOptions, runner_args
from scs_kaas.checks.runner_objects import RESULT_FILES, RunnerObjects
from scs_kaas.errors import ClusterError, KaasError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.clusterctl import in_memory_kubeconfig
from scs_kaas.workflows.check.runner_cleanup import remove_runner_objects
from scs_kaas.workflows.check.target import WorkloadAccess
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

NAMESPACE = "kaas-check-conformance"
CHECK_LABEL = "kaas.scs.community/check"
LABELS = {naming.LABEL_MANAGED_BY: naming.MANAGED_BY, CHECK_LABEL: "conformance"}
RUNNER = "hydrophone"
RUNNER_LOG = "hydrophone.log"
MAX_RESULT_BYTES = 256 * 1024 * 1024
INSTALL_HINT = (
    f"install hydrophone {versions.HYDROPHONE}: `go install sigs.k8s.io/hydrophone@"
    f"{versions.HYDROPHONE}` (Go 1.26), or the release binary of "
    "github.com/kubernetes-sigs/hydrophone, on $PATH; or pass --runner PATH. The management "
    "host has it (`kaas mgmt ssh`, then run kaas there)"
)

LineSink = Callable[[str], None]


class RunnerMissing(KaasError):
    """hydrophone is not installed here."""


@dataclass(frozen=True)
class ConformanceOptions:
    results_dir: Path
    runner: Path | None = None
    parallel: int = 1
    startup_timeout: int = 300
    conformance_image: str | None = None
    cleanup_timeout: float = 300.0


@dataclass(frozen=True)
class ConformanceReport:
    mode: str
    results_dir: str
    runner_exit_code: int
    results: results.Results | None
    problem: str | None  # why there is no summary, or why the run failed
    removed: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return 0 if self.results is not None and self.results.ok and not self.problem else 1


def find_runner(explicit: Path | None) -> Path:
    if explicit is not None:
        if not (explicit.is_file() and os.access(explicit, os.X_OK)):
            raise RunnerMissing(f"--runner {explicit} is not an executable file; {INSTALL_HINT}")
        return explicit
    found = shutil.which(RUNNER)
    if found is None:
        raise RunnerMissing(f"hydrophone is not installed here: {INSTALL_HINT}")
    return Path(found)


def run(
    access: WorkloadAccess,
    mode: Mode,
    options: ConformanceOptions,
    progress: Progress = quiet,
    lines: LineSink | None = None,
) -> ConformanceReport:
    runner = find_runner(options.runner)
    folder = options.results_dir
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*RESULT_FILES, RUNNER_LOG):  # a stale report must not pass for this run's
        (folder / name).unlink(missing_ok=True)
    objects = RunnerObjects(NAMESPACE)
    with access.connect() as workload:
        left = remove_runner_objects(workload, objects, LABELS, options.cleanup_timeout)
        if left:
            progress(StepEvent("leftovers", "deleted", ", ".join(left)))
        removed: tuple[str, ...] = ()
        try:
            apply(workload, [_namespace()], "scs-kaas-check")
            progress(StepEvent("runner", "start", f"{runner} ({mode.name})"))
            code = _run_runner(access, runner, mode, options, lines)
            progress(StepEvent("runner", "exited", f"exit code {code}"))
        finally:
            removed = tuple(
                remove_runner_objects(workload, objects, LABELS, options.cleanup_timeout)
            )
            progress(StepEvent("cleanup", "deleted", ", ".join(removed) or "nothing left"))
    return _report(mode, folder, code, removed)


def _namespace() -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": NAMESPACE, "labels": dict(LABELS)},
    }


def _run_runner(
    access: WorkloadAccess,
    runner: Path,
    mode: Mode,
    options: ConformanceOptions,
    lines: LineSink | None,
) -> int:
    with (
        in_memory_kubeconfig(access.kubeconfig) as (kubeconfig, descriptor),
        (options.results_dir / RUNNER_LOG).open("w", encoding="utf-8") as log,
    ):
        runner_options = RunnerOptions(
            kubeconfig.path,
            NAMESPACE,
            str(options.results_dir),
            options.parallel,
            options.startup_timeout,
            options.conformance_image,
        )
        process = subprocess.Popen(
            [str(runner), *runner_args(mode, runner_options)],
            pass_fds=(descriptor,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**os.environ, "NO_COLOR": "1"},
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                log.write(line)
                if lines is not None:
                    lines(line.rstrip("\n"))
            return process.wait()
        finally:
            if process.poll() is None:  # interrupted: the runner stops too
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _report(mode: Mode, folder: Path, code: int, removed: tuple[str, ...]) -> ConformanceReport:
    texts = {name: _read(folder / name) for name in RESULT_FILES}
    try:
        found = results.parse(texts["junit_01.xml"], texts["e2e.log"])
    except results.ResultsError as error:
        tail = _tail(folder / RUNNER_LOG)
        why = f"{error}; hydrophone exited {code}" + (f": {tail}" if tail else "")
        return ConformanceReport(mode.name, str(folder), code, None, why, removed)
    verdict = None if found.ok else found.verdict
    return ConformanceReport(mode.name, str(folder), code, found, verdict, removed)


def _read(path: Path) -> str | None:
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_RESULT_BYTES:
        raise ClusterError(f"{path} is larger than {MAX_RESULT_BYTES} bytes")
    return path.read_text(encoding="utf-8", errors="replace")


def _tail(path: Path, count: int = 3) -> str:
    text = _read(path) or ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-count:])
