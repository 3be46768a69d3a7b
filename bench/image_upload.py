"""Peak memory and time of uploading a 2 GiB node image to the local cloud.

`python bench/image_upload.py` with KAAS_TEST_LOCALCLOUD=<state dir of a running local cloud>.
Each case runs in a fresh process, so its peak RSS (VmHWM) is its own; the goal is < 150 MB
whatever the image size, i.e. the upload streams. Measured and printed, never asserted.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from openstack.connection import Connection
from rich.console import Console
from rich.table import Table

from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import connect
from scs_kaas.localcloud.tenants import Tenant, delete_tenant, ensure_tenant, replace_app_credential
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.image import ensure as image_ensure
from scs_kaas.workflows.image.ensure import ImageRequest

SIZE = 2 * 1024**3
CASES = {
    "raw-file": "sparse raw file, uploaded as it is",
    "qcow2-to-raw": "qcow2, qemu-img to raw, uploaded",
    # the control: proves the figures above measure the upload (what streaming avoids)
    "in-memory": "control: file read into memory first",
}


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _one(case: str) -> dict[str, Any]:
    """Run in a child: upload one image with the project credential given on stdin."""
    given = json.loads(sys.stdin.read())
    cloud = LocalCloud(Path(given["state"]))
    conn = connect(cloud.app_credential_config(given["id"], given["secret"]))
    settings = Settings.model_validate({"prefix": "bench", "image": {"raw": True}})
    with tempfile.TemporaryDirectory(prefix="kaas-bench-") as folder:
        if case != "qcow2-to-raw":
            source = Path(folder) / "node.raw"
            with source.open("wb") as stream:
                stream.truncate(SIZE)
        else:
            source = Path(folder) / "node.qcow2"
            subprocess.run(
                ["qemu-img", "create", "-q", "-f", "qcow2", str(source), str(SIZE)], check=True
            )
        baseline = _status_kib("VmRSS")
        started = time.monotonic()
        if case == "in-memory":
            image = conn.image.create_image(
                "bench-in-memory",
                data=source.read_bytes(),
                disk_format="raw",
                container_format="bare",
                allow_duplicates=True,
            )
            image_id, uploaded, min_disk = str(image.id), SIZE, 0
        else:
            result = image_ensure.run(
                conn, settings, ImageRequest("v1.34.1", file=source, work_dir=Path(folder))
            )
            image_id, uploaded, min_disk = result.id, result.uploaded_bytes, result.min_disk_gib
        seconds = time.monotonic() - started
    conn.image.delete_image(image_id)
    return {
        "case": case,
        "bytes": uploaded,
        "seconds": seconds,
        "baseline_mb": baseline / 1024,
        "peak_mb": _status_kib("VmHWM") / 1024,
        "min_disk_gib": min_disk,
    }


def _tenant(state: str) -> tuple[Connection, Tenant, dict[str, str]]:

    cloud = LocalCloud(Path(state))
    admin = cloud.admin()
    suffix = secrets.token_hex(4)
    password = secrets.token_hex(16)
    tenant = ensure_tenant(admin, f"bench-{suffix}", f"bench-{suffix}", password)
    user = connect(cloud.user_config(tenant.user_name, password, tenant.project_name))
    credential = replace_app_credential(user, f"bench-{suffix}")
    return admin, tenant, {"state": state, "id": credential.id, "secret": credential.secret}


def main() -> None:
    state = os.environ.get("KAAS_TEST_LOCALCLOUD")
    console = Console(width=None if Console().is_terminal else 120)
    if not state:
        console.print(
            "not run: no local cloud (set KAAS_TEST_LOCALCLOUD to the state folder of a "
            "running one, e.g. `kaas devcloud up`'s)"
        )
        return

    if not LocalCloud(Path(state)).is_up():
        console.print(f"not run: KAAS_TEST_LOCALCLOUD={state} names no running local cloud")
        return
    admin, tenant, given = _tenant(state)
    table = Table(title=f"Node image upload, {SIZE / 1024**3:.0f} GiB (goal: peak RSS < 150 MB)")
    for column in ("case", "uploaded", "time", "MB/s", "RSS before", "peak RSS", "min_disk"):
        table.add_column(column, justify="left" if column == "case" else "right")
    try:
        for case, description in CASES.items():
            child = subprocess.run(
                [sys.executable, __file__, "--one", case],
                input=json.dumps(given),
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                console.print(f"{case} failed:\n{child.stderr[-2000:]}")
                continue
            row = json.loads(child.stdout)
            table.add_row(
                description,
                f"{row['bytes'] / 1024**3:.2f} GiB",
                f"{row['seconds']:.1f} s",
                f"{row['bytes'] / 1024**2 / row['seconds']:.0f}",
                f"{row['baseline_mb']:.0f} MB",
                f"{row['peak_mb']:.0f} MB",
                f"{row['min_disk_gib']} GiB" if row["min_disk_gib"] else "-",
            )
    finally:
        delete_tenant(admin, tenant)
    console.print(table)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(_one(sys.argv[2])))
    else:
        main()
