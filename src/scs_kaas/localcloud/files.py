"""Write everything the services read from the state dir: configs, shims, copied upstream files."""

from __future__ import annotations

import shutil
from pathlib import Path

from scs_kaas.errors import CloudError
from scs_kaas.localcloud.certs import ensure_octavia_ca
from scs_kaas.localcloud.configs import all_service_configs, cinder_rootwrap_conf
from scs_kaas.localcloud.context import CloudContext
from scs_kaas.localcloud.infra_configs import my_cnf, rabbitmq_conf
from scs_kaas.localcloud.shims import SHIM_MODULES, SUDO

# upstream files shipped in the server venv's etc/ that the services need unchanged
_COPIED = (
    "glance/glance-api-paste.ini",
    "neutron/api-paste.ini",
    "nova/api-paste.ini",
    "cinder/api-paste.ini",
    "cinder/resource_filters.json",
)

_DATA_DIRS = (
    "glance/images",
    "glance/staging",
    "glance/tasks",
    "nova/instances",
    "neutron",
    "cinder",
    "lock",
    "scratch",
)


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def write_state_files(ctx: CloudContext) -> None:
    layout = ctx.layout
    layout.make_dirs()
    for relative in _DATA_DIRS:
        (layout.data / relative).mkdir(parents=True, exist_ok=True)
    (layout.logs / "rabbit").mkdir(exist_ok=True)
    (layout.rabbit / "mnesia").mkdir(exist_ok=True)

    upstream_etc = layout.venv / "etc"
    for relative in _COPIED:
        source = upstream_etc / relative
        if not source.is_file():
            raise CloudError(f"{source} is missing: the server venv is incomplete; reinstall it")
        target = layout.etc / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    shutil.copytree(
        upstream_etc / "cinder" / "rootwrap.d",
        layout.etc / "cinder" / "rootwrap.d",
        dirs_exist_ok=True,
    )
    upstream_rootwrap = (upstream_etc / "cinder" / "rootwrap.conf").read_text(encoding="utf-8")
    _write(layout.etc / "cinder" / "rootwrap.conf", cinder_rootwrap_conf(upstream_rootwrap, ctx))

    for relative, text in all_service_configs(ctx).items():
        _write(layout.etc / relative, text)
    _write(layout.my_cnf, my_cnf(ctx))
    _write(layout.etc / "rabbitmq" / "rabbitmq.conf", rabbitmq_conf(ctx))
    _write(layout.etc / "rabbitmq" / "enabled_plugins", "[].\n")
    _write(layout.etc / "rabbitmq" / "rabbitmq-env.conf", "")
    for name, module_text in SHIM_MODULES.items():
        _write(layout.shim / name, module_text, 0o644)
    _write(layout.bin / "sudo", SUDO, 0o755)
    ensure_octavia_ca(layout.etc / "octavia" / "certs")
