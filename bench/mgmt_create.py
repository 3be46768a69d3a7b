"""API calls and wall time of `kaas mgmt create` (first run, re-run) and `kaas mgmt delete`.

`python bench/mgmt_create.py` with KAAS_TEST_LOCALCLOUD=<state dir of a running local cloud>.
Requests are counted with a `requests` response hook on the connection's session (no patching).
A fresh project is made for the run and removed afterwards. Measured and printed, never asserted.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openstack.connection import Connection
from rich.console import Console
from rich.table import Table

from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import connect
from scs_kaas.localcloud.tenants import delete_tenant, ensure_tenant, replace_app_credential
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.mgmt import create as mgmt_create
from scs_kaas.workflows.mgmt import delete as mgmt_delete
from scs_kaas.workflows.mgmt import userdata as mgmt_userdata
from scs_kaas.workflows.mgmt.state import StatePaths

REUSE_ENV = "KAAS_TEST_LOCALCLOUD"


def _measure(conn: Connection, action: Callable[[], object]) -> dict[str, Any]:
    seen: list[str] = []

    def hook(response: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(str(response.request.method))

    hooks = conn.session.session.hooks["response"]
    hooks.append(hook)
    started = time.monotonic()
    try:
        action()
    finally:
        hooks.remove(hook)
    methods = Counter(seen)
    return {
        "seconds": time.monotonic() - started,
        "requests": len(seen),
        "writes": sum(n for m, n in methods.items() if m != "GET"),
        "methods": dict(sorted(methods.items())),
    }


def main() -> int:
    state = os.environ.get(REUSE_ENV)
    if not state:
        print(f"not run: set {REUSE_ENV} to the state dir of a running local cloud")
        return 0
    cloud = LocalCloud(Path(state))
    if not cloud.is_up():
        print(f"not run: no local cloud is up at {REUSE_ENV}={state}")
        return 0
    admin = cloud.admin()
    suffix = secrets.token_hex(4)
    password = secrets.token_hex(16)
    tenant = ensure_tenant(admin, f"bench-mgmt-{suffix}", f"bench-{suffix}", password)
    try:
        user = connect(cloud.user_config(tenant.user_name, password, tenant.project_name))
        credential = replace_app_credential(user, f"bench-{suffix}")
        conn = connect(cloud.app_credential_config(credential.id, credential.secret))
        # A flavor with a disk: the local cloud's Nova sends no service token, so Cinder would
        # refuse to detach a root volume on delete (Cinder bug #2004555).
        settings = Settings.model_validate(
            {
                "prefix": "bench",
                "cloud": "localcloud",
                "external_network": "public",
                "management": {"flavor": "SCS-2V-4-20s"},
            }
        )
        with tempfile.TemporaryDirectory(prefix="kaas-bench-") as folder:
            paths = StatePaths(Path(folder), settings.prefix)
            user_data = mgmt_userdata.host_user_data(settings, Path(folder))
            rows = {
                "create": _measure(conn, lambda: mgmt_create.run(conn, settings, paths, user_data)),
                "create again": _measure(
                    conn, lambda: mgmt_create.run(conn, settings, paths, user_data)
                ),
                "delete": _measure(conn, lambda: mgmt_delete.run(conn, settings, paths)),
            }
    finally:
        delete_tenant(admin, tenant)
    table = Table(title="kaas mgmt against the local cloud (flavor SCS-2V-4-20s)")
    for column in ("run", "wall s", "requests", "writes", "by method"):
        table.add_column(column)
    for name, row in rows.items():
        methods = " ".join(f"{m}={n}" for m, n in row["methods"].items())
        table.add_row(
            name, f"{row['seconds']:.1f}", str(row["requests"]), str(row["writes"]), methods
        )
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
