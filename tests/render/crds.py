"""The render tests' CRD checks: the CRD validator of ../shared, and CAPO v0.14.7's own CRDs
from its Go module source for a management cluster running that version."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from scs_kaas.render.documents import to_yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CRD_VALIDATE = SHARED / "tools" / "crd_validate.py"
CRDS = SHARED / "crds"
GO_PROGRAMS = REPO / "src" / "scs_kaas" / "localmgmt" / "programs"
CAPO_MODULE = "sigs.k8s.io/cluster-api-provider-openstack"
CAPO_V014 = f"{CAPO_MODULE}@v0.14.7"


def require_shared() -> None:
    if not CRD_VALIDATE.is_file():
        pytest.skip(f"{CRD_VALIDATE} is absent: the CRDs of ../shared are needed to validate")


def crd_validate(files: Sequence[Path], crds: Path | None = None) -> str:
    """Run ../shared/tools/crd_validate.py; fail the test with its report unless all are valid.

    `crds` is the folder of CRDs to validate against; default ../shared/crds.
    """
    require_shared()
    chosen = ["--crds", str(crds)] if crds is not None else []
    result = subprocess.run(
        [sys.executable, str(CRD_VALIDATE), *chosen, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return result.stdout


def write_manifests(path: Path, documents: Sequence[dict[str, Any]]) -> Path:
    path.write_text(to_yaml(documents), encoding="utf-8")
    return path


@functools.cache
def go_module_dir(program: str, module: str) -> Path:
    """Where Go keeps the source of `module` (`path@version`), as the Go program `program` of
    localmgmt/programs sees it: `go mod download -json` run in its folder prints `"Dir"`.

    Skips the test when `go` is absent; downloads the module when the cache lacks it.
    """
    go = shutil.which("go")
    if go is None:
        pytest.skip(f"go is not installed: the source of {module} is found through Go")
    folder = GO_PROGRAMS / program
    if not (folder / "go.mod").is_file():
        pytest.fail(f"{folder}/go.mod is absent: no Go program {program!r} to ask for {module}")
    result = subprocess.run(
        [go, "mod", "download", "-json", module],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    try:
        answer = json.loads(result.stdout)
    except json.JSONDecodeError:
        answer = {}
    if result.returncode != 0 or not answer.get("Dir"):
        pytest.fail(
            f"go mod download -json {module} (in {folder}) failed: "
            f"{answer.get('Error') or result.stderr[-2000:] or result.stdout[-2000:]}"
        )
    return Path(answer["Dir"])


def crd_folder(destination: Path, *sources: Path) -> Path:
    """A folder with the CRD files of `sources` copied in (crd_validate.py reads one folder)."""
    for index, source in enumerate(sources):
        target = destination / f"{index}-{source.name}"
        target.mkdir(parents=True, exist_ok=True)
        for crd in sorted(source.glob("*.yaml")):
            shutil.copyfile(crd, target / crd.name)
    return destination


def capo_v014_crds(destination: Path) -> Path:
    """CAPI v1.14, CAAPH and ORC CRDs of ../shared with CAPO v0.14.7's own CRDs (from its Go
    module source), instead of the v0.15 ones: a management cluster running CAPO v0.14.7."""
    require_shared()
    capo = go_module_dir("capo", CAPO_V014) / "config" / "crd" / "bases"
    others = [p for p in sorted(CRDS.iterdir()) if p.is_dir() and not p.name.startswith("capo-")]
    return crd_folder(destination, *others, capo)
