"""How long does `kaas` take to start? Side by side with a bare Python start.

    python bench/startup.py [--rounds 10]

Runs each command `--rounds` times as a fresh process (the console script of this venv) and
prints the median and the best wall time, and which heavy libraries the command imported
(`-X importtime` lists every module a process imports). Goals: `kaas --help` under 0.25 s and
`kaas cluster render demo` under 0.4 s; neither should import openstacksdk or the Kubernetes
client. Measured, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

HEAVY = ("openstack", "kubernetes", "keystoneauth1", "pydantic")
KAAS = [sys.executable, "-c", "import sys; from scs_kaas.cli.app import main; sys.exit(main())"]
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "kaas --help": [*KAAS, "--help"],
    "kaas cluster render demo": [*KAAS, "cluster", "render", "demo"],
    "kaas config show": [*KAAS, "config", "show"],
}


def _once(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - started


def _heavy_imports(argv: list[str], cwd: Path) -> list[str]:
    traced = [argv[0], "-X", "importtime", *argv[1:]]
    stderr = subprocess.run(traced, cwd=cwd, capture_output=True, text=True, check=True).stderr
    imported = {line.split("|")[-1].strip() for line in stderr.splitlines() if "|" in line}
    return [name for name in HEAVY if name in imported]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    cwd = Path(__file__).resolve().parents[1] / ".state" / "bench-startup"
    cwd.mkdir(parents=True, exist_ok=True)  # no environment files: the built-in defaults
    table = Table(title=f"start-up, {args.rounds} rounds each")
    table.add_column("command")
    table.add_column("median s", justify="right")
    table.add_column("best s", justify="right")
    table.add_column("heavy imports")
    for label, argv in COMMANDS.items():
        _once(argv, cwd)  # warm the file cache
        times = [_once(argv, cwd) for _ in range(args.rounds)]
        heavy = ", ".join(_heavy_imports(argv, cwd)) or "none"
        table.add_row(label, f"{statistics.median(times):.3f}", f"{min(times):.3f}", heavy)
    Console().print(table)


if __name__ == "__main__":
    main()
