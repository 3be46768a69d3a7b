"""Hostile settings files (issue #16, items 1, 2, 3, 6, 9): each is refused with exit code 2 and a
short message naming the file, quickly, never with a traceback or a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scs_kaas.errors import SettingsError
from scs_kaas.settings import yaml_limits
from scs_kaas.settings.loader import load_cluster_settings
from tests.settings.hostile_limits import FAST, MAX_ERROR_OUTPUT
from tests.support.cli import CliResult, kaas

# 9^9 "lol"s once the aliases are expanded, from 357 bytes.
BILLION_LAUGHS = "\n".join(
    [
        'lol0: &lol0 "lol"',
        *(f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 10)),
    ]
)


def _refused(result: CliResult, *expected: str) -> None:
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr and result.stdout == ""
    # at most 25 problems of at most 1,000 characters, then a count
    assert len(result.stderr) < MAX_ERROR_OUTPUT, result.stderr[:2000]
    for text in expected:
        assert text in result.stderr, result.stderr


def _timed(*argv: str) -> CliResult:
    started = time.monotonic()
    result = kaas(*argv)
    assert time.monotonic() - started < FAST
    return result


@pytest.mark.parametrize("command", [["config", "show"], ["cluster", "render"]])
def test_billion_laughs_is_refused_at_the_alias(tmp_path: Path, command: list[str]) -> None:
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text(f"unknown_key:\n  {BILLION_LAUGHS.replace(chr(10), chr(10) + '  ')}\n")
    result = _timed(*command, "demo", "-f", str(laughs))
    _refused(result, f"{laughs}:3:", "aliases (*name) that expand to more than")


def test_billion_laughs_in_a_flag_is_refused() -> None:
    value = "[" + ", ".join(["&a [1, 1, 1, 1, 1, 1, 1, 1, 1]", *(["*a"] * 3000)]) + "]"
    _refused(_timed("config", "show", "--set", f"extra_tags={value}"), "--set extra_tags")


def test_an_alias_inside_its_own_value_is_refused(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.write_text("node_groups: &groups\n  - name: a\n    labels: *groups\n")
    _refused(_timed("config", "show", "-f", str(loop)), "inside the value it refers to")


def test_a_few_small_aliases_still_work(tmp_path: Path) -> None:
    """Anchors are a fair way to share settings: only their expansion is bounded."""
    (tmp_path / "environment.yaml").write_text(
        "node_group_defaults: &machine {flavor: SCS-4V-8}\ncontrol_plane: *machine\n"
    )
    loaded = load_cluster_settings("demo", tmp_path)
    assert loaded.settings.control_plane.flavor == "SCS-4V-8"


@pytest.mark.parametrize("data", [bytes(range(256)), b"prefix: caf\xe9\n", b"\xff\xfe\x00p"])
def test_binary_and_non_utf8_files_are_refused(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "environment.yaml").write_bytes(data)
    result = _timed("config", "show", "-e", str(tmp_path))
    _refused(result, "environment.yaml:", "is not UTF-8 text")


def test_nul_characters_are_refused(tmp_path: Path) -> None:
    (tmp_path / "environment.yaml").write_bytes(b"prefix: a\x00b\n")
    _refused(_timed("config", "show", "-e", str(tmp_path)), "invalid YAML")


@pytest.mark.parametrize("levels", [100, 1500, 50_000])
def test_deep_nesting_is_refused(tmp_path: Path, levels: int) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text(f"kubeadm: {'[' * levels}{']' * levels}\n")
    result = _timed("cluster", "render", "demo", "-f", str(deep))
    _refused(result, f"{deep}:1", f"nested deeper than {yaml_limits.MAX_DEPTH} levels")


def test_deep_nesting_in_a_flag_is_refused() -> None:
    value = "[" * 50_000 + "]" * 50_000
    _refused(_timed("config", "show", "--set", f"kubeadm={value}"), "nested deeper")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prefix: 2026-13-45\n", "month must be in 1..12"),
        (f"prefix: {'9' * 5000}\n", "integer string conversion"),
    ],
)
def test_values_python_cannot_build_are_input_errors(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "environment.yaml").write_text(text)
    _refused(_timed("config", "show", "-e", str(tmp_path)), "YAML cannot read", expected)


def test_thousands_of_unknown_keys_give_a_short_error(tmp_path: Path) -> None:
    many = tmp_path / "many.yaml"
    many.write_text("".join(f"key{i}: {i}\n" for i in range(9000)))
    result = _timed("config", "show", "-f", str(many))
    _refused(result, "- key0: unknown setting", "and 8980 more problems")
    assert len(result.stderr.splitlines()) <= 30


def test_too_many_values_are_refused(tmp_path: Path) -> None:
    many = tmp_path / "many.yaml"
    many.write_text("".join(f"k{i}: 1\n" for i in range(480_000)))  # 5 MB
    _refused(_timed("config", "show", "-f", str(many)), "is larger than 1024 KiB")
    many.write_text("extra_tags: [" + ", ".join(["a"] * 30_000) + "]\n")  # 90 KB
    _refused(_timed("config", "show", "-f", str(many)), "holds more than 20000 values")


def test_a_huge_value_is_shown_shortened(tmp_path: Path) -> None:
    (tmp_path / "environment.yaml").write_text(f"? {'k' * 300_000}\n: 1\nprefix: {'x' * 600_000}\n")
    result = _timed("config", "show", "-e", str(tmp_path))
    _refused(result, "k... (300", " characters)", "- prefix: must be")


def test_a_cluster_file_that_is_a_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "clusters" / "prod.yaml").mkdir(parents=True)
    with pytest.raises(SettingsError, match=r"prod\.yaml is not a file"):
        load_cluster_settings("prod", tmp_path)
    _refused(kaas("cluster", "render", "prod", "-e", str(tmp_path)), "is not a file")


def test_an_environment_file_that_is_a_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "environment.yaml").mkdir()
    _refused(kaas("config", "show", "-e", str(tmp_path)), "environment.yaml is not a file")
    _refused(kaas("mgmt", "create", "--dry-run", "-e", str(tmp_path)), "is not a file")
