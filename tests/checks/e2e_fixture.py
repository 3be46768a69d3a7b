"""The stand-in e2e suite of e2e_suite/ (Ginkgo v2.28.1, the e2e suite's JUnit options): built
once per session with the ordinary `go` command, run like the conformance image runs e2e.test
(`--ginkgo.focus`, `--ginkgo.skip`, no colour), its console output saved as e2e.log and its
report as junit_01.xml, the two files hydrophone copies out of the conformance pod."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scs_kaas.localmgmt.programs import go_command, go_env

SUITE = Path(__file__).parent / "e2e_suite"


def build(out: Path) -> Path:
    binary = out / "e2e-suite.test"
    done = subprocess.run(
        [go_command(), "test", "-c", "-trimpath", "-o", str(binary), "."],
        cwd=SUITE,
        env=go_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"building the e2e stand-in failed: {done.stderr[-2000:]}")
    return binary


@dataclass(frozen=True)
class Run:
    folder: Path
    exit_code: int

    @property
    def junit(self) -> str:
        return (self.folder / "junit_01.xml").read_text(encoding="utf-8")

    @property
    def log(self) -> str:
        return (self.folder / "e2e.log").read_text(encoding="utf-8")


def run(
    binary: Path,
    folder: Path,
    focus: str = "",
    skip: str = "",
    fail: bool = False,
    setup_fail: bool = False,
) -> Run:
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "KAAS_FIXTURE_REPORT_DIR": str(folder),
        "KAAS_FIXTURE_FAIL": "1" if fail else "",
        "KAAS_FIXTURE_SETUP_FAIL": "1" if setup_fail else "",
    }
    args = [str(binary), "--ginkgo.no-color", f"--ginkgo.focus={focus}", f"--ginkgo.skip={skip}"]
    with (folder / "e2e.log").open("w", encoding="utf-8") as log:
        done = subprocess.run(
            args, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    return Run(folder, done.returncode)
