"""Keystone's schema, keys and the admin user, region and identity endpoint."""

from __future__ import annotations

import grp
import os
import pwd
from collections.abc import Mapping

from scs_kaas.localcloud.commands import run_logged
from scs_kaas.localcloud.context import REGION, CloudContext


def setup_keystone(ctx: CloudContext, env: Mapping[str, str]) -> None:
    etc = ctx.layout.etc / "keystone"
    manage = [
        str(ctx.layout.venv_bin / "keystone-manage"),
        "--config-file",
        str(etc / "keystone.conf"),
    ]
    log = ctx.layout.logs / "keystone-manage.log"
    run_logged([*manage, "db_sync"], log, env)
    # the keys belong to whoever runs the services: this user, not a 'keystone' system user
    owner = [
        "--keystone-user",
        pwd.getpwuid(os.getuid()).pw_name,
        "--keystone-group",
        grp.getgrgid(os.getgid()).gr_name,
    ]
    if not (etc / "fernet-keys").is_dir():
        run_logged([*manage, "fernet_setup", *owner], log, env)
    if not (etc / "credential-keys").is_dir():
        run_logged([*manage, "credential_setup", *owner], log, env)
    identity = ctx.auth_url + "/"
    run_logged(
        [
            *manage,
            "bootstrap",
            "--bootstrap-region-id",
            REGION,
            "--bootstrap-admin-url",
            identity,
            "--bootstrap-internal-url",
            identity,
            "--bootstrap-public-url",
            identity,
        ],
        log,
        # the admin password through the environment: it must not show in argv or the log
        {**env, "OS_BOOTSTRAP_PASSWORD": ctx.secrets.admin},
    )
