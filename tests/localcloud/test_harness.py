"""The local cloud's own machinery, without starting a cloud: ports, PID files, configs, CLI."""

from __future__ import annotations

import configparser
import socket
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scs_kaas.cli.devcloud import app as devcloud_app
from scs_kaas.errors import CloudError
from scs_kaas.localcloud import LocalCloud, Ports, processes
from scs_kaas.localcloud.configs import all_service_configs
from scs_kaas.localcloud.context import CloudContext
from scs_kaas.localcloud.infra_configs import my_cnf, rabbitmq_conf, rabbitmq_env
from scs_kaas.localcloud.layout import Layout, Secrets
from scs_kaas.localcloud.services import all_services


def _context(tmp_path: Path) -> CloudContext:
    secrets = Secrets.load_or_create(tmp_path / "secrets.json")
    return CloudContext(Layout.at(tmp_path / "state"), Ports.from_base(30000), secrets)


def test_port_base_gives_distinct_consecutive_ports() -> None:
    ports = Ports.from_base(30000).as_dict()
    assert sorted(ports.values()) == list(range(30000, 30000 + len(ports)))
    assert Ports.from_base(30000).keystone == 30000
    with pytest.raises(CloudError):
        Ports.from_base(80)


def test_busy_port_is_reported() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        ports = Ports(keystone=taken)
        assert ("keystone", taken) in ports.busy()


def test_secrets_file_is_private_and_stable(tmp_path: Path) -> None:
    first = Secrets.load_or_create(tmp_path / "secrets.json")
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert Secrets.load_or_create(tmp_path / "secrets.json") == first
    assert len({first.admin, first.service, first.database, first.rabbitmq}) == 4


def test_everything_listens_on_loopback_only(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    texts = [*all_service_configs(ctx).values(), my_cnf(ctx), rabbitmq_conf(ctx)]
    assert all("0.0.0.0" not in text for text in texts)
    assert "bind-address=127.0.0.1" in my_cnf(ctx)
    assert "listeners.tcp.default = 127.0.0.1:30008" in rabbitmq_conf(ctx)
    assert rabbitmq_env(ctx)["ERL_EPMD_ADDRESS"] == "127.0.0.1"
    for service in all_services(ctx):
        if "--bind" in service.argv:
            assert service.argv[service.argv.index("--bind") + 1].startswith("127.0.0.1:")


def test_no_secret_on_a_command_line(tmp_path: Path) -> None:
    """Command lines are visible to every user (ps): passwords go into 0600 files only."""
    ctx = _context(tmp_path)
    secret_values = set(vars(ctx.secrets).values())
    for service in all_services(ctx):
        assert not secret_values & set(service.argv), service.name
    assert ctx.secrets.service in all_service_configs(ctx)["nova/nova.conf"]


def test_octavia_calls_neutron_with_auth_options_of_its_own(tmp_path: Path) -> None:
    """Octavia fills a [neutron] without them from [service_auth] on its first Neutron call,
    unlocked: two load balancers created at once left one in ERROR."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(all_service_configs(_context(tmp_path))["octavia/octavia.conf"])
    neutron = parser["neutron"]
    assert dict(neutron) == dict(parser["service_auth"])
    for option in ("auth_type", "auth_url", "username", "password", "project_name"):
        assert neutron.get(option), option


def test_keystone_serves_each_request_in_a_process_of_its_own(tmp_path: Path) -> None:
    """Keystone's auth middleware holds the validated token in an attribute its threads share."""
    (keystone,) = [s for s in all_services(_context(tmp_path)) if s.name == "keystone"]
    argv = list(keystone.argv)
    assert argv[argv.index("--threads") + 1] == "1"
    assert int(argv[argv.index("--workers") + 1]) > 1


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    pid_file, log = tmp_path / "sleeper.pid", tmp_path / "sleeper.log"
    # a shell with a child: both must go, as gunicorn's master and its workers do
    record = processes.start_detached(
        ["sh", "-c", "sleep 300 & wait"], {"PATH": "/usr/bin:/bin"}, pid_file, log, tmp_path
    )
    assert processes.running(pid_file) == record
    assert processes.stop_together([pid_file]) == [pid_file]
    assert not record.is_alive()
    assert not pid_file.exists()
    group = subprocess.run(
        ["pgrep", "-g", str(record.pid)], capture_output=True, text=True, check=False
    )
    assert group.stdout == ""


def test_a_reused_pid_is_never_signalled(tmp_path: Path) -> None:
    """A PID file whose start time does not match belongs to someone else's process now."""
    pid_file = tmp_path / "stale.pid"
    pid_file.write_text("1 0\n", encoding="utf-8")  # PID 1, but not started at tick 0
    assert processes.running(pid_file) is None
    assert processes.stop_together([pid_file]) == []


def test_down_on_a_missing_state_dir_does_nothing(tmp_path: Path) -> None:
    assert LocalCloud(tmp_path / "none").down(wipe=True) == []


def test_devcloud_env_prints_paths_and_cloud_name_only(tmp_path: Path) -> None:
    state = tmp_path / "devcloud"
    state.mkdir()
    secret = "s3cr3t-value-never-printed"
    clouds = {"clouds": {"devcloud": {"auth": {"application_credential_secret": secret}}}}
    (state / "clouds.yaml").write_text(yaml.safe_dump(clouds), encoding="utf-8")
    (state / "cloud-name").write_text("devcloud\n", encoding="utf-8")
    result = CliRunner().invoke(devcloud_app, ["env", "--state-dir", str(state)])
    assert result.exit_code == 0, result.output
    # the project's user: `kaas cluster create` makes application credentials, which the
    # restricted one of `devcloud` may not
    assert result.output.splitlines() == [
        f"export OS_CLIENT_CONFIG_FILE={state / 'clouds.yaml'}",
        "export OS_CLOUD=devcloud-user",
    ]
    assert secret not in result.output
    # with a management cluster, its kubeconfig too
    kubeconfig = state / "management" / "kubeconfig"
    kubeconfig.parent.mkdir()
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n", encoding="utf-8")
    again = CliRunner().invoke(devcloud_app, ["env", "--state-dir", str(state)])
    assert again.output.splitlines()[-1] == f"export KUBECONFIG={kubeconfig}"
