"""The day-2 commands through the CLI: bad input exits 2 before any cloud or cluster is asked;
`kaas cluster list`, `scale --dry-run` and the cluster's Lease against the real management
cluster."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from scs_kaas.cli.app import run
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.lease import lease_held
from tests.workflows.test_cluster_day2_kube import rendered, settings_of

MISSING = ["--kubeconfig", "/nonexistent/kubeconfig", "--set", "cloud=nowhere"]


@pytest.mark.parametrize(
    "argv",
    [
        ["cluster", "scale", "demo", "md-0=x"],
        ["cluster", "scale", "demo", "md-0"],
        ["cluster", "upgrade", "demo", "--to", "1.99"],
        ["cluster", "upgrade", "demo", "--to", "latest"],
        ["cluster", "status", "demo", "-o", "xml"],
        ["cluster", "list", "--set", "prefix=Bad_Prefix"],
    ],
)
def test_bad_input_exits_2_before_anything_is_asked(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*argv, "-e", str(tmp_path), *MISSING]) == 2
    err = capsys.readouterr().err
    assert "nowhere" not in err and "/nonexistent" not in err  # nothing was looked up


def test_list_json_and_table(
    kube: KubeClient,
    namespace: str,
    kubeconfig_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prefix = f"p{secrets.token_hex(3)}"
    apply(kube, rendered(kube, settings_of(prefix, namespace), "demo"))
    base = ["cluster", "list", "-e", str(tmp_path), "--set", f"prefix={prefix}"]
    base += ["--kubeconfig", str(kubeconfig_file)]
    assert run([*base, "-o", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "demo" and row["namespace"] == namespace
    assert [g["name"] for g in row["node_groups"]] == ["auto", "md-0"]

    assert run(base) == 0
    table = capsys.readouterr().out
    assert "demo" in table and "md-0 0/2" in table and "auto 0/1 (auto 1-3)" in table


def test_scale_dry_run_names_the_change(
    kube: KubeClient,
    namespace: str,
    kubeconfig_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prefix = f"p{secrets.token_hex(3)}"
    apply(kube, rendered(kube, settings_of(prefix, namespace), "demo"))
    argv = ["cluster", "scale", "demo", "md-0=4", "--dry-run", "-e", str(tmp_path)]
    argv += ["--set", f"prefix={prefix}", "--set", f"namespace={namespace}"]
    argv += ["--kubeconfig", str(kubeconfig_file), "-o", "json"]
    assert run(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dry_run"] is True
    assert [(c["group"], c["before"], c["after"]) for c in result["changes"]] == [("md-0", 2, 4)]


@pytest.mark.parametrize(
    "command",
    [["scale", "demo", "md-0=3"], ["rotate-credentials", "demo"], ["gc", "demo"]],
    ids=lambda command: command[0],
)
def test_a_cluster_command_waits_for_or_refuses_another_holding_its_lease(
    command: list[str],
    kube: KubeClient,
    namespace: str,
    kubeconfig_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The Lease is taken before anything of the cluster is read or changed, and before any
    cloud is asked (the cloud named here does not exist)."""
    holder = "kaas cluster upgrade demo (pid 1 on elsewhere)"
    base = ["cluster", *command, "-e", str(tmp_path), "--set", "prefix=team"]
    base += ["--set", f"namespace={namespace}", "--kubeconfig", str(kubeconfig_file)]
    base += ["--set", "cloud=nowhere"]
    with lease_held(kube, namespace, "scs-kaas-demo", holder, 0, lambda _text: None):
        assert run([*base, "--lock-timeout", "0"]) == 1
        refused = " ".join(capsys.readouterr().err.split())
        assert run([*base, "--lock-timeout", "1"]) == 1
        waited = " ".join(capsys.readouterr().err.split())
    assert f"{holder} (lease {namespace}/scs-kaas-demo, renewed " in refused
    assert "is running; nothing was changed" in refused and "waiting" not in refused
    assert waited.startswith(f"waiting for {holder} (lease {namespace}/scs-kaas-demo")
    assert "up to 1 s; --lock-timeout" in waited and "is running; nothing was changed" in waited
