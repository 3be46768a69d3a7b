"""`kaas` as a process against the test's project, for the localcloud tests of tests/openstack/.

`cli_environment` makes the project an unrestricted app credential of its own (the CLI may make
and delete others) and only a clouds.yaml: the tests pass settings on the command line. For an
environment folder with the project's own credential and an environment.yaml, see
`kaas_environment` and `kaas_mgmt` in tests/support/projects.py.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
from pathlib import Path

import pytest
import yaml
from openstack.connection import Connection

from scs_kaas import logredact
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import identity
from scs_kaas.openstack.app_credentials import CredentialOwner, owned_app_credentials
from tests.support.projects import KAAS, Project


def credentials(conn: Connection, prefix: str, name: str) -> list[str]:
    return [c.id for c in owned_app_credentials(conn, CredentialOwner(prefix, name))]


def kaas(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KAAS, *args], capture_output=True, text=True, check=False, env=env)


def cli_environment(
    localcloud: LocalCloud, project: Project, tmp_path: Path, cloud: str
) -> tuple[dict[str, str], str]:
    """The process environment for `kaas` with a clouds.yaml entry `cloud` for the project
    (an unrestricted credential: the CLI may make and delete others); and its secret."""
    made = identity(project.user).create_application_credential(
        project.tenant.user_id, f"cli-{secrets.token_hex(4)}", unrestricted=True
    )
    clouds = tmp_path / "clouds.yaml"
    config = localcloud.app_credential_config(str(made.id), str(made.secret))
    clouds.write_text(yaml.safe_dump({"clouds": {cloud: config}}))
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}
    env.pop("OS_CLOUD", None)
    return env, str(made.secret)


def debug_log_as_the_cli_writes_it(caplog: pytest.LogCaptureFixture) -> None:
    """All records, through the filter `kaas` puts on its handlers: keystoneauth's debug log
    prints Keystone's answers, secrets included, and the CLI redacts them there."""
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(logredact.RedactSecrets())
