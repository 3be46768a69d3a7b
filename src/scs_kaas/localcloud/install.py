"""The OpenStack servers' own virtual environment, pinned to the 2026.1 release series.

The servers never share scs-kaas's environment: their dependency set is pinned by upstream's
upper-constraints and would clash with the project's (and a test run must not change the
project's environment).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from importlib import resources
from pathlib import Path

from scs_kaas.errors import CloudError
from scs_kaas.localcloud.locking import exclusive

CONSTRAINTS_FILE = "upper-constraints-2026.1.txt"

# Newest PyPI releases of different series do not resolve together; unpinned, pip builds a
# broken mixed set. Each server is pinned to its 2026.1 ("Gazpacho") series.
SERVER_REQUIREMENTS = (
    "keystone==29.*",
    "glance==32.*",
    "neutron==28.*",
    "nova==33.*",
    "octavia==18.*",
    "cinder==28.*",
    "openstack-placement==15.*",
    "gunicorn",
    "PyMySQL",
)

STAMP = ".scs-kaas-installed"


def constraints_text() -> str:
    return (resources.files(__package__) / CONSTRAINTS_FILE).read_text(encoding="utf-8")


def install_fingerprint() -> str:
    """Changes whenever what we would install changes, so an outdated venv is rebuilt."""
    digest = hashlib.sha256(constraints_text().encode())
    digest.update("\n".join(SERVER_REQUIREMENTS).encode())
    return digest.hexdigest()


def is_installed(venv: Path) -> bool:
    stamp = venv / STAMP
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == install_fingerprint()


def install_servers(venv: Path, log: Path) -> None:
    """Create `venv` and install the servers into it; a no-op when it is already up to date."""
    if is_installed(venv):
        return
    # test sessions running side by side share one venv: the second waits for the first
    with exclusive(venv.parent / f".{venv.name}.lock"):
        if not is_installed(venv):
            _install(venv, log)


def _install(venv: Path, log: Path) -> None:
    venv.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    constraints = venv.parent / f".{venv.name}-{CONSTRAINTS_FILE}"
    constraints.write_text(constraints_text(), encoding="utf-8")
    # sys.executable may itself be a venv's python; `-m venv` then builds on its base interpreter
    commands = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--constraint",
            str(constraints),
            *SERVER_REQUIREMENTS,
        ],
    ]
    with log.open("a", encoding="utf-8") as out:
        for command in commands:
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
            if result.returncode != 0:
                raise CloudError(
                    f"installing the OpenStack servers into {venv} failed "
                    f"(exit {result.returncode}); see {log}"
                )
    (venv / STAMP).write_text(install_fingerprint() + "\n", encoding="utf-8")
