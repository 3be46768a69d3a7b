"""Helpers shared by the tests: the CRD validator of ../shared and the in-process CLI."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scs_kaas.cli.app import run
from scs_kaas.render.documents import to_yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CRD_VALIDATE = SHARED / "tools" / "crd_validate.py"


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def kaas(*argv: str) -> CliResult:
    """Run `kaas ARGV` in this process, as the console script would."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv))
    return CliResult(code, out.getvalue(), err.getvalue())


def require_shared() -> None:
    if not CRD_VALIDATE.is_file():
        pytest.skip(f"{CRD_VALIDATE} is absent: the CRDs of ../shared are needed to validate")


def crd_validate(files: Sequence[Path]) -> str:
    """Run ../shared/tools/crd_validate.py; fail the test with its report unless all are valid."""
    require_shared()
    result = subprocess.run(
        [sys.executable, str(CRD_VALIDATE), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return result.stdout


def write_manifests(path: Path, documents: Sequence[dict[str, Any]]) -> Path:
    path.write_text(to_yaml(documents), encoding="utf-8")
    return path
