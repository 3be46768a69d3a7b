"""The local record of one environment's management host: what was made, with which IDs.

Written atomically after every step, so an interrupted `kaas mgmt create` resumes where it
stopped and `kaas mgmt delete` knows what to remove even when a name was changed by hand. The
cloud's ownership tags stay the proof of ownership; this file adds what tags cannot carry: the
keypair's fingerprint (keypairs have no tags) and the user data the server was made with.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from scs_kaas.errors import KaasError, SettingProblem, SettingsError
from scs_kaas.filelock import held
from scs_kaas.files import write_atomic

STATE_VERSION = 1
APP_DIR = "scs-kaas"


def default_state_dir(environ: Mapping[str, str], home: Path) -> Path:
    """`$XDG_STATE_HOME/scs-kaas`, by default `~/.local/state/scs-kaas`."""
    base = environ.get("XDG_STATE_HOME") or str(home / ".local" / "state")
    return Path(base) / APP_DIR


@dataclass(frozen=True)
class StatePaths:
    """The files of one environment (prefix) under the user's state directory."""

    state_dir: Path
    prefix: str

    @property
    def root(self) -> Path:
        return self.state_dir / self.prefix

    @property
    def lock_file(self) -> Path:
        """The environment's lock (`filelock.held`): beside its folder, which `kaas mgmt
        delete` removes, so that a run waiting on it never holds a deleted file."""
        return self.state_dir / f"{self.prefix}.lock"

    @property
    def state_file(self) -> Path:
        return self.root / "mgmt.json"

    @property
    def private_key(self) -> Path:
        return self.root / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def moved_kubeconfig(self) -> Path:
        """The management cluster's kubeconfig after `kaas mgmt move` (kept by `mgmt delete`)."""
        return self.root / "management.kubeconfig"


class Recorded(BaseModel):
    id: str
    name: str


class MgmtState(BaseModel):
    version: int = STATE_VERSION
    prefix: str
    cloud: str
    # step name -> the resource it made (or adopted)
    resources: dict[str, Recorded] = Field(default_factory=dict)
    # step -> the token put in the description of a resource being created, until recorded
    claims: dict[str, str] = Field(default_factory=dict)
    key_fingerprint: str | None = None
    floating_ip_address: str | None = None
    user_data_sha256: str | None = None
    complete: bool = False
    # set by `kaas mgmt move`: the workload cluster that now manages the environment's clusters
    moved_to: str | None = None


def check_state_access(paths: StatePaths) -> None:
    """Refuse, before any cloud call, a state directory this user cannot read and write: one of
    another user (or a file) would fail with a raw PermissionError halfway through a command."""
    try:
        if paths.root.exists():
            _check_access(paths.root, os.R_OK | os.W_OK | os.X_OK)
            if paths.state_file.exists() and not os.access(paths.state_file, os.R_OK):
                _refuse_access(paths.state_file)
            return
        # The folders to be created: the nearest existing parent must let us create them.
        existing = next(p for p in paths.root.parents if p.exists())
        _check_access(existing, os.W_OK | os.X_OK)
    except PermissionError as error:  # a parent that this user may not even look into
        raise SettingsError([_state_problem(f"{error.filename}: {error.strerror}")]) from error


def _check_access(folder: Path, needed: int) -> None:
    if not folder.is_dir():
        raise SettingsError([_state_problem(f"{folder} is not a folder")])
    if not os.access(folder, needed):
        _refuse_access(folder)


def _refuse_access(path: Path) -> None:
    info = path.stat()
    raise SettingsError(
        [
            _state_problem(
                f"{path} is not readable and writable by this user "
                f"(owner uid {info.st_uid}, mode {info.st_mode & 0o777:04o})"
            )
        ]
    )


def _state_problem(problem: str) -> SettingProblem:
    return SettingProblem("state directory", f"{problem}; use --state-dir or $KAAS_STATE_DIR")


def load_state(paths: StatePaths, cloud: str) -> MgmtState:
    """The recorded state, or an empty one; a state of another cloud is refused."""
    check_state_access(paths)
    try:
        text = paths.state_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return MgmtState(prefix=paths.prefix, cloud=cloud)
    try:
        state = MgmtState.model_validate(json.loads(text))
    except (ValueError, ValidationError) as error:
        raise KaasError(f"{paths.state_file} is not a valid state file: {error}") from None
    if state.version != STATE_VERSION:
        raise KaasError(f"{paths.state_file}: state version {state.version} is not supported")
    if state.prefix != paths.prefix or state.cloud != cloud:
        raise KaasError(
            f"{paths.state_file} belongs to prefix {state.prefix!r} on cloud {state.cloud!r}, "
            f"not prefix {paths.prefix!r} on cloud {cloud!r}: use another prefix or state dir"
        )
    return state


def ensure_private_root(paths: StatePaths) -> None:
    """The environment's folder, readable by the user alone (it holds the private key).

    Every folder this creates is 0700, whatever the umask: `mkdir(parents=True)` would make the
    missing parents (the state directory itself) 0777 under `umask 000`.
    """
    _make_private(paths.root)
    paths.root.chmod(0o700)


def _make_private(folder: Path) -> None:
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for made in reversed(missing):
        made.mkdir(exist_ok=True, mode=0o700)
        made.chmod(0o700)


@contextmanager
def environment_lock(
    paths: StatePaths, command: str, timeout: float, say: Callable[[str], None]
) -> Iterator[None]:
    """The environment's lock, held by a command that changes the host or this state: a second
    run of one prefix waits (`filelock.held`) instead of making a second host beside the first."""
    _make_private(paths.state_dir)  # as ensure_private_root would: 0700 whatever the umask
    with held(paths.lock_file, f"{command} of prefix {paths.prefix}", timeout, say):
        yield


def save_state(paths: StatePaths, state: MgmtState) -> None:
    ensure_private_root(paths)
    write_atomic(paths.state_file, state.model_dump_json(indent=2) + "\n", mode=0o600)


def remove_local_files(paths: StatePaths) -> list[Path]:
    """Forget the environment: state, key pair, known_hosts, kubeconfig. Returns what went."""
    removed = []
    for path in (
        paths.kubeconfig,
        paths.known_hosts,
        paths.private_key.with_name(paths.private_key.name + ".pub"),
        paths.private_key,
        paths.state_file,
    ):
        if path.exists():
            path.unlink()
            removed.append(path)
    if paths.root.is_dir() and not any(paths.root.iterdir()):
        paths.root.rmdir()
    return removed
