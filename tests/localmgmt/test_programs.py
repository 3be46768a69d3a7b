"""The Go wrapper modules: their pins are the ones versions.py names, and builds are keyed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scs_kaas import versions
from scs_kaas.localmgmt import ManagementCluster, MgmtPorts, commands, programs
from scs_kaas.localmgmt.layout import Layout

MODULE_OF = {
    "k8s.io/kubernetes": "kube-apiserver",
    "go.etcd.io/etcd/server/v3": "etcd",
    "sigs.k8s.io/cluster-api": "cluster-api",
    "sigs.k8s.io/cluster-api-provider-openstack": "capo",
    "github.com/k-orc/openstack-resource-controller/v2": "orc",
    "sigs.k8s.io/cluster-api-addon-provider-helm": "caaph",
    "sigs.k8s.io/kustomize/kustomize/v5": "kustomize",
    "sigs.k8s.io/hydrophone": "hydrophone",
    "sigs.k8s.io/kwok": "kwok",
}


@pytest.mark.parametrize(("module", "folder"), sorted(MODULE_OF.items()))
def test_each_go_mod_pins_the_version_of_versions_py(module: str, folder: str) -> None:
    pins = {
        **versions.LOCAL_MANAGEMENT,
        "sigs.k8s.io/hydrophone": versions.HYDROPHONE,
        "sigs.k8s.io/kwok": versions.KWOK,
    }
    assert programs.pinned_version(folder, module) == pins[module]


def test_every_wrapper_module_is_listed_and_has_a_go_sum() -> None:
    folders = {p.name for p in programs.PROGRAMS_DIR.iterdir() if p.is_dir()}
    assert folders == set(MODULE_OF.values())
    for folder in folders:
        assert (programs.PROGRAMS_DIR / folder / "go.sum").stat().st_size > 0


def test_staging_modules_are_replaced_by_published_versions() -> None:
    """k8s.io/kubernetes points its staging modules at local folders; the wrapper may not."""
    text = (programs.PROGRAMS_DIR / "kube-apiserver" / "go.mod").read_text(encoding="utf-8")
    replaced = [line for line in text.splitlines() if "=>" in line]
    assert len(replaced) > 25
    assert all("./" not in line and "../" not in line for line in replaced)
    assert all(line.split("=>")[1].split()[1] == "v0.36.3" for line in replaced)


def test_build_keys_differ_per_program_and_follow_go_sum(tmp_path: Path) -> None:
    every = (*programs.PROGRAMS, *programs.TOOLS, *programs.TEST_TOOLS)
    keys = {programs.build_key(p) for p in every}
    assert len(keys) == len(every)
    program = programs.by_name("capo-manager")
    before = programs.build_key(program)
    assert programs.build_key(program) == before  # stable
    copy = tmp_path / "programs"
    shutil.copytree(programs.PROGRAMS_DIR / "capo", copy / "capo")
    with (copy / "capo" / "go.sum").open("a", encoding="utf-8") as sum_file:
        sum_file.write("example.com/x v1.0.0 h1:AAAA=\n")
    assert programs.build_key(program, copy) != before


def test_binary_paths_are_keyed_under_the_root(tmp_path: Path) -> None:
    program = programs.by_name("etcd")
    path = programs.binary_path(program, tmp_path)
    assert path == tmp_path / f"etcd-{programs.build_key(program)}" / "etcd"
    assert programs.missing(tmp_path) == list(programs.PROGRAMS)


def test_the_management_cluster_does_not_build_the_tools() -> None:
    """hydrophone runs against workload clusters, kube-scheduler and kwok only in the tests: a
    management cluster's start never waits for their builds, and `missing` (what a start builds)
    never names them."""
    assert "hydrophone" not in {p.binary for p in programs.PROGRAMS}
    assert programs.by_name("hydrophone") in programs.TOOLS
    for test_only in ("kube-scheduler", "kwok"):
        assert programs.by_name(test_only) in programs.TEST_TOOLS
        assert programs.by_name(test_only) not in (*programs.PROGRAMS, *programs.TOOLS)


def test_without_go_the_error_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(programs.GoMissing, match="Go command is not installed") as raised:
        programs.go_command()
    assert "\n" not in str(raised.value)


def test_kube_controller_manager_runs_the_controllers_it_is_given(tmp_path: Path) -> None:
    """The management cluster keeps its own list; a workload cluster's is a parameter."""
    layout, ports = Layout.at(tmp_path), MgmtPorts()
    binary = tmp_path / "kube-controller-manager"

    def flag(argv: list[str]) -> str:
        return next(a for a in argv if a.startswith("--controllers=")).split("=", 1)[1]

    default = commands.kube_controller_manager(binary, layout, ports)
    assert flag(default.argv).split(",") == list(commands.MANAGEMENT_CONTROLLERS)
    assert "deployment-controller" not in commands.MANAGEMENT_CONTROLLERS
    chosen = ("namespace-controller", "deployment-controller")
    given = commands.kube_controller_manager(binary, layout, ports, chosen)
    assert flag(given.argv) == "namespace-controller,deployment-controller"
    cluster = ManagementCluster(tmp_path, ports, providers=False, controllers=chosen)
    assert cluster.controllers == chosen
    assert ManagementCluster(tmp_path).controllers == commands.MANAGEMENT_CONTROLLERS
