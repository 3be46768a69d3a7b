"""The management cluster's programs, built from their Go modules with the ordinary `go` command.

Each folder under `programs/` is a small wrapper module: its go.mod requires one upstream module
at the version pinned in `versions.LOCAL_MANAGEMENT` and names the main packages as `tool`s;
modules whose own go.mod points at local folders (k8s.io/kubernetes, etcd, cluster-api) are
replaced there by their published versions. A build is keyed by the content of go.mod and go.sum
(and the build recipe), so an unchanged pin never rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from scs_kaas.errors import KaasError

PROGRAMS_DIR = Path(__file__).parent / "programs"
DEFAULT_BIN_ROOT = Path("~/.cache/scs-kaas/programs")
# Bumped whenever the recipe below changes what a build produces.
_RECIPE = "4"
_LISTEN_PATCH_FILE = "pkg/webhook/server.go"


class GoMissing(KaasError):
    """No `go` command: the management cluster cannot be built here."""


class BuildError(KaasError):
    """A Go build failed; the message names the program and the log."""


@dataclass(frozen=True)
class Program:
    """One binary: the wrapper module it is built in and its main package."""

    binary: str
    module: str  # folder under programs/
    package: str
    # (upstream module whose pinned version the binary reports, Go package of its version vars)
    version_of: tuple[str, str] | None = None
    # controller-runtime's webhook server listens on every interface when its host is empty,
    # and none of these managers has a flag for the host: the build makes it 127.0.0.1.
    webhook_server: bool = False


_KUBE = ("k8s.io/kubernetes", "k8s.io/component-base/version")
_CAPI = ("sigs.k8s.io/cluster-api", "sigs.k8s.io/cluster-api/version")
_CAPO = (
    "sigs.k8s.io/cluster-api-provider-openstack",
    "sigs.k8s.io/cluster-api-provider-openstack/version",
)
_CAAPH = (
    "sigs.k8s.io/cluster-api-addon-provider-helm",
    "sigs.k8s.io/cluster-api-addon-provider-helm/version",
)

PROGRAMS: tuple[Program, ...] = (
    Program("kustomize", "kustomize", "sigs.k8s.io/kustomize/kustomize/v5"),
    Program("etcd", "etcd", "go.etcd.io/etcd/server/v3"),
    Program("kube-apiserver", "kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver", _KUBE),
    Program(
        "kube-controller-manager",
        "kube-apiserver",
        "k8s.io/kubernetes/cmd/kube-controller-manager",
        _KUBE,
    ),
    Program("capi-manager", "cluster-api", "sigs.k8s.io/cluster-api/core", _CAPI, True),
    Program(
        "kubeadm-bootstrap-manager",
        "cluster-api",
        "sigs.k8s.io/cluster-api/bootstrap/kubeadm",
        _CAPI,
        True,
    ),
    Program(
        "kubeadm-control-plane-manager",
        "cluster-api",
        "sigs.k8s.io/cluster-api/controlplane/kubeadm",
        _CAPI,
        True,
    ),
    Program("clusterctl", "cluster-api", "sigs.k8s.io/cluster-api/cmd/clusterctl", _CAPI),
    Program("capo-manager", "capo", "sigs.k8s.io/cluster-api-provider-openstack", _CAPO, True),
    Program("orc-manager", "orc", "github.com/k-orc/openstack-resource-controller/v2/cmd/manager"),
    Program("caaph-manager", "caaph", "sigs.k8s.io/cluster-api-addon-provider-helm", _CAAPH, True),
)

# Tools of `kaas` itself, built on demand (`kaas devcloud build --tools`, the tests that run them),
# never by the management cluster's start: hydrophone, the conformance runner of `kaas check`.
TOOLS: tuple[Program, ...] = (Program("hydrophone", "hydrophone", "sigs.k8s.io/hydrophone"),)
# Programs only the tests run, built by them on first use: a workload cluster whose pods are
# scheduled (kube-scheduler) and become Ready on fake nodes without a container runtime (kwok,
# "Kubernetes WithOut Kubelet", a Kubernetes SIG project), for `kaas check smoke` (tests/checks).
TEST_TOOLS: tuple[Program, ...] = (
    Program("kube-scheduler", "kube-apiserver", "k8s.io/kubernetes/cmd/kube-scheduler", _KUBE),
    Program("kwok", "kwok", "sigs.k8s.io/kwok/cmd/kwok"),
)

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def bin_root() -> Path:
    """Where builds go: `$KAAS_PROGRAMS_DIR`, else a per-user cache (`make` uses .state/)."""
    configured = os.environ.get("KAAS_PROGRAMS_DIR")
    return Path(configured).expanduser() if configured else DEFAULT_BIN_ROOT.expanduser()


def go_command() -> str:
    found = shutil.which("go")
    if found is None:
        raise GoMissing(
            "the Go command is not installed: the local management cluster is built from Go"
            " modules (Go 1.26 or newer)"
        )
    return found


def go_env() -> dict[str, str]:
    """The environment of every go call: no workspace, the machine's own toolchain, go.sum kept."""
    return {
        **os.environ,
        "GOWORK": "off",
        "GOFLAGS": "-mod=readonly",
        "GOTOOLCHAIN": "local",
    }


def build_key(program: Program, programs_dir: Path = PROGRAMS_DIR) -> str:
    """The content hash that names a build: go.mod, go.sum, the package and the recipe."""
    digest = hashlib.sha256()
    folder = programs_dir / program.module
    for part in (
        _RECIPE,
        program.package,
        str(program.webhook_server),
        " ".join(version_flags(program)),
        (folder / "go.mod").read_text(encoding="utf-8"),
        (folder / "go.sum").read_text(encoding="utf-8"),
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def binary_path(program: Program, root: Path | None = None) -> Path:
    base = root or bin_root()
    return base / f"{program.binary}-{build_key(program)}" / program.binary


def by_name(name: str) -> Program:
    for program in (*PROGRAMS, *TOOLS, *TEST_TOOLS):
        if program.binary == name:
            return program
    raise KeyError(name)


def missing(root: Path | None = None) -> list[Program]:
    return [p for p in PROGRAMS if not binary_path(p, root).is_file()]


def pinned_version(program_module: str, module: str) -> str:
    """The version of `module` in the wrapper module's go.mod (its `require`s)."""
    text = (PROGRAMS_DIR / program_module / "go.mod").read_text(encoding="utf-8")
    for line in text.splitlines():
        words = line.replace("require ", "").split()
        if len(words) >= 2 and words[0] == module:
            return words[1]
    raise BuildError(f"{program_module}/go.mod does not require {module}")


def _escaped(path: str) -> str:
    """The module cache's spelling of a module path (capitals as !lower)."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in path)


def module_dir(program_module: str, module: str) -> Path:
    """The source folder of `module` as the wrapper module `program_module` pins it.

    CRDs and webhook configurations are read from there, not from copies. `go mod download`
    fetches it into the module cache when it is not there yet.
    """
    version = pinned_version(program_module, module)
    cache = os.environ.get("GOMODCACHE") or str(Path(_go_env_value("GOPATH")) / "pkg" / "mod")
    folder = Path(cache) / f"{_escaped(module)}@{version}"
    if folder.is_dir():
        return folder
    result = subprocess.run(
        [go_command(), "mod", "download", "-json", f"{module}@{version}"],
        cwd=PROGRAMS_DIR / program_module,
        env=go_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        info = json.loads(result.stdout)
    except json.JSONDecodeError:
        info = {}
    if result.returncode != 0 or "Dir" not in info:
        detail = info.get("Error") or result.stderr.strip()[-500:]
        raise BuildError(f"go mod download {module}@{version} failed: {detail}")
    return Path(info["Dir"])


def _go_env_value(name: str) -> str:
    done = subprocess.run(
        [go_command(), "env", name], env=go_env(), capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _build_module(program: Program, workdir: Path) -> Path:
    """The folder to build `program` in: its wrapper module, or for a manager with a webhook
    server a copy whose go.mod replaces controller-runtime by a copy listening on loopback.

    (Go refuses `-overlay` for files in the module cache, and none of these managers has a flag
    for the webhook host.) With -trimpath the build cache keys ignore the folder, so only the
    patched package and what imports it are compiled again.
    """
    if not program.webhook_server:
        return PROGRAMS_DIR / program.module
    runtime = "sigs.k8s.io/controller-runtime"
    copy = workdir / "controller-runtime"
    shutil.copytree(module_dir(program.module, runtime), copy)
    for path in [copy, *copy.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)  # the module cache is read-only
    server = copy / _LISTEN_PATCH_FILE
    text = server.read_text(encoding="utf-8")
    needle = "net.JoinHostPort(s.Options.Host,"
    if needle not in text:
        raise BuildError(f"{server} changed: cannot default its listen host to 127.0.0.1")
    server.write_text(
        text.replace(needle, "net.JoinHostPort(scsKaasLoopback(s.Options.Host),")
        + "\n// Added by scs-kaas at build time: listen on loopback unless a host is given.\n"
        'func scsKaasLoopback(host string) string {\n\tif host == "" {\n'
        '\t\treturn "127.0.0.1"\n\t}\n\treturn host\n}\n',
        encoding="utf-8",
    )
    module = workdir / "module"
    module.mkdir()
    for name in ("go.mod", "go.sum"):
        shutil.copy(PROGRAMS_DIR / program.module / name, module / name)
    with (module / "go.mod").open("a", encoding="utf-8") as go_mod:
        go_mod.write(f"\nreplace {runtime} => {copy}\n")
    return module


def version_flags(program: Program) -> list[str]:
    """-X flags setting the version the binary reports, as the upstream release builds do.

    Without them a manager built from the module reports v0.0.0 (and CAPI refuses an API
    server of that version).
    """
    if program.version_of is None:
        return []
    module, package = program.version_of
    version = pinned_version(program.module, module)
    major, minor = version.lstrip("v").split(".")[:2]
    values = {"gitVersion": version, "gitMajor": major, "gitMinor": minor}
    values |= {"gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z"}
    return [f"-X {package}.{name}={value}" for name, value in values.items()]


def build(
    programs: Iterable[Program] = PROGRAMS,
    root: Path | None = None,
    progress: Progress = _quiet,
) -> dict[str, Path]:
    """Build what is missing; return {binary name: path}. Each build is atomic (rename)."""
    go = go_command()
    base = root or bin_root()
    result: dict[str, Path] = {}
    todo = list(programs)
    for index, program in enumerate(todo, 1):
        target = binary_path(program, base)
        result[program.binary] = target
        if target.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        log = target.parent / "build.log"
        progress(f"building {program.binary} ({index}/{len(todo)}) from {program.package}")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=target.parent) as work:
            partial = Path(work) / program.binary
            ldflags = " ".join(["-s", "-w", *version_flags(program)])
            args = [go, "build", "-trimpath", "-buildvcs=false", f"-ldflags={ldflags}"]
            args += ["-o", str(partial)]
            args.append(program.package)
            cwd = _build_module(program, Path(work))
            with log.open("w", encoding="utf-8") as out:
                done = subprocess.run(
                    args,
                    cwd=cwd,
                    env=go_env(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            if done.returncode != 0:
                tail = log.read_text(encoding="utf-8").strip().splitlines()[-5:]
                raise BuildError(
                    f"building {program.binary} failed (see {log}): " + " | ".join(tail)
                )
            partial.replace(target)
        progress(f"built {program.binary} in {time.monotonic() - started:.0f} s")
    return result
