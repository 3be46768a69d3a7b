"""`kaas cluster rotate-credentials`: bad input exits 2 before any cloud or cluster is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from scs_kaas.cli.app import run


def test_invalid_settings_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cluster", "rotate-credentials", "demo", "-e", str(tmp_path)]
    assert run([*argv, "--set", "network.mtu=100", "--set", "cloud=nowhere"]) == 2
    assert "network.mtu" in capsys.readouterr().err


def test_invalid_cluster_name_exit_2(tmp_path: Path) -> None:
    assert run(["cluster", "rotate-credentials", "Bad_Name", "-e", str(tmp_path)]) == 2


def test_missing_kubeconfig_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent"
    argv = ["cluster", "rotate-credentials", "demo", "-e", str(tmp_path), "--set", "cloud=nowhere"]
    assert run([*argv, "--kubeconfig", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "kubeconfig" in err
    assert "nowhere" not in err  # no cloud was looked up


def test_bad_output_format_exit_2(tmp_path: Path) -> None:
    assert run(["cluster", "rotate-credentials", "demo", "-e", str(tmp_path), "-o", "xml"]) == 2


def test_restart_timeout_below_one_second_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["cluster", "rotate-credentials", "demo", "-e", str(tmp_path), "--set", "cloud=nowhere"]
    assert run([*argv, "--restart-timeout", "0"]) == 2
    err = capsys.readouterr().err
    assert "--restart-timeout" in err
    assert "nowhere" not in err  # no cloud was looked up
