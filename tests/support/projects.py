"""What the localcloud tests share besides fixtures (tests/support/localcloud.py): the marker,
the fresh project the `project` fixture yields, and `kaas` run as a process in it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from openstack.connection import Connection

from scs_kaas.files import write_atomic
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.tenants import AppCredential, Tenant

# every test module that needs the cloud: `pytestmark = LOCALCLOUD`
LOCALCLOUD = pytest.mark.localcloud


@dataclass(frozen=True)
class Project:
    """A fresh project with a member user: as that user, and through an app credential."""

    tenant: Tenant
    user: Connection
    app: Connection
    credential: AppCredential
    external_network_id: str


KAAS = str(Path(sys.executable).parent / "kaas")
CLOUD = "localcloud"


def kaas_environment(
    localcloud: LocalCloud, project: Project, folder: Path, environment: Mapping[str, Any]
) -> dict[str, str]:
    """`folder` as an environment (environment.yaml) with a clouds.yaml entry `localcloud` of
    the project's app credential (0600); returns the process environment for `kaas`."""
    config = localcloud.app_credential_config(project.credential.id, project.credential.secret)
    write_atomic(folder / "clouds.yaml", yaml.safe_dump({"clouds": {CLOUD: config}}), mode=0o600)
    (folder / "environment.yaml").write_text(yaml.safe_dump({"cloud": CLOUD, **environment}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    return {**env, "OS_CLIENT_CONFIG_FILE": str(folder / "clouds.yaml")}


def kaas_mgmt(env: dict[str, str], folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`kaas mgmt ARGS` of the environment `folder` (state in folder/state), as a process."""
    return subprocess.run(
        [KAAS, "mgmt", *args, "-e", str(folder), "--state-dir", str(folder / "state")],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=900,
    )
