"""The management host's local files: state, key pair, and where they live."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from scs_kaas.errors import KaasError
from scs_kaas.sshkeys import KeyFiles, ensure_key, fingerprint
from scs_kaas.workflows.mgmt_state import (
    MgmtState,
    Recorded,
    StatePaths,
    default_state_dir,
    load_state,
    remove_local_files,
    save_state,
)


def test_default_state_dir_follows_xdg(tmp_path: Path) -> None:
    assert default_state_dir({}, tmp_path) == tmp_path / ".local/state/scs-kaas"
    assert default_state_dir({"XDG_STATE_HOME": "/x"}, tmp_path) == Path("/x/scs-kaas")


def test_state_round_trip_is_private(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path, "team")
    assert load_state(paths, "prod") == MgmtState(prefix="team", cloud="prod")
    state = MgmtState(prefix="team", cloud="prod", key_fingerprint="aa:bb")
    state.resources["network"] = Recorded(id="n-1", name="team-mgmt-net")
    save_state(paths, state)
    assert load_state(paths, "prod") == state
    assert stat.S_IMODE(paths.state_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.root.stat().st_mode) == 0o700


def test_state_of_another_cloud_is_refused(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path, "team")
    save_state(paths, MgmtState(prefix="team", cloud="prod"))
    with pytest.raises(KaasError, match="belongs to prefix 'team' on cloud 'prod'"):
        load_state(paths, "staging")


def test_broken_state_file_is_named(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path, "team")
    paths.root.mkdir(parents=True)
    paths.state_file.write_text("{not json")
    with pytest.raises(KaasError, match=r"mgmt\.json is not a valid state file"):
        load_state(paths, "prod")


def test_key_is_ed25519_private_0600_and_stable(tmp_path: Path) -> None:
    files = KeyFiles(tmp_path / "team" / "id_ed25519")
    public = ensure_key(files, "scs-kaas team")
    assert public.startswith("ssh-ed25519 ") and public.endswith(" scs-kaas team")
    assert stat.S_IMODE(files.private.stat().st_mode) == 0o600
    assert files.private.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert ensure_key(files, "ignored on reuse") == public
    # ssh-keygen agrees with the MD5 fingerprint Nova shows
    result = subprocess.run(
        ["ssh-keygen", "-l", "-E", "md5", "-f", str(files.public)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split()[1] == "MD5:" + fingerprint(public)


def test_private_key_without_public_half_is_refused(tmp_path: Path) -> None:
    files = KeyFiles(tmp_path / "id_ed25519")
    ensure_key(files, "x")
    files.public.unlink()
    with pytest.raises(KaasError, match=r"exists without id_ed25519\.pub"):
        ensure_key(files, "x")


def test_fingerprint_rejects_garbage() -> None:
    with pytest.raises(KaasError, match="not an OpenSSH public key"):
        fingerprint("nonsense")


def test_remove_local_files(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path, "team")
    save_state(paths, MgmtState(prefix="team", cloud="prod"))
    ensure_key(KeyFiles(paths.private_key), "x")
    paths.known_hosts.write_text("")
    removed = remove_local_files(paths)
    assert {p.name for p in removed} == {"mgmt.json", "id_ed25519", "id_ed25519.pub", "known_hosts"}
    assert not paths.root.exists()
