"""Measure the local cloud: server install time, start-up time and memory of its processes.

    python bench/localcloud.py                  # reuses the tests' server venv if it is there
    python bench/localcloud.py --fresh-install  # installs a new venv too (1-2 min, ~800 MB)

Brings a local cloud up on free ports in its own state dir under .state/, measures, stops it
and removes that state dir again. Measured, not asserted.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from scs_kaas.localcloud import LocalCloud, Ports
from scs_kaas.localcloud.install import install_servers
from scs_kaas.localcloud.ports import port_is_free

REPO = Path(__file__).resolve().parents[1]
STATE = REPO / ".state" / "bench-localcloud"
TESTS_VENV = REPO / ".state" / "localcloud-test" / "venv"


def _free_port_base(first: int = 23000) -> int:
    for base in range(first, 40000, 20):
        if all(port_is_free(p) for p in Ports.from_base(base).as_dict().values()):
            return base
    raise SystemExit("no free block of ports")


def _proc_value(pid: int, name: str, key: str) -> int:
    """A `key: N kB` line of /proc/<pid>/<name>, in KiB (0 if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text(encoding="utf-8").splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _group_members(leaders: set[int]) -> list[int]:
    """Every process whose process group is one the cloud started (workers included)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:
            continue
        pgid = int(stat[stat.rindex(")") + 2 :].split()[2])
        if pgid in leaders:
            members.append(int(entry.name))
    return members


def _memory_mib(cloud: LocalCloud) -> tuple[int, float, float]:
    leaders = {s.pid for s in cloud.status() if s.pid is not None}
    members = _group_members(leaders)
    rss = sum(_proc_value(pid, "status", "VmRSS") for pid in members)
    # PSS shares each shared page among its users: the sum is what the cloud really costs
    pss = sum(_proc_value(pid, "smaps_rollup", "Pss") for pid in members)
    return len(members), rss / 1024, pss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh-install", action="store_true", help="install a new server venv")
    args = parser.parse_args()

    venv = STATE / "venv" if args.fresh_install or not TESTS_VENV.exists() else TESTS_VENV
    rows: list[tuple[str, str]] = []
    started = time.monotonic()
    install_servers(venv, STATE / "install.log")
    install_s = time.monotonic() - started
    rows.append(("server venv install", f"{install_s:.0f} s" if venv != TESTS_VENV else "reused"))

    cloud = LocalCloud(STATE / "cloud", Ports.from_base(_free_port_base()), venv=venv)
    try:
        started = time.monotonic()
        cloud.up()
        rows.append(
            ("start-up (up until every API answers)", f"{time.monotonic() - started:.0f} s")
        )
        processes, rss, pss = _memory_mib(cloud)
        rows.append(("processes", str(processes)))
        rows.append(("memory, sum of RSS", f"{rss:,.0f} MiB"))
        rows.append(("memory, sum of PSS", f"{pss:,.0f} MiB"))
        started = time.monotonic()
    finally:
        cloud.down(wipe=True)
    rows.append(("stop (down)", f"{time.monotonic() - started:.0f} s"))
    shutil.rmtree(STATE, ignore_errors=True)  # the fresh venv too; the tests' one stays

    table = Table(title="local cloud")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
