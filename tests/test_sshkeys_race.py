"""Concurrent runs making the environment's key pair: one matching pair, every time.

Before, each run generated a key and wrote its public, then its private half: runs side by side
left a public key that did not belong to the private key (and each run went on with its own).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from scs_kaas.ssh.keypair import KeyFiles, ensure_key

ROUNDS = 40
RUNS = 4


def _make_key(private: str, start: Barrier, results: Queue[str]) -> None:
    start.wait()  # every process at the starting line, then all at once
    results.put(ensure_key(KeyFiles(Path(private)), "scs-kaas race"))


def _derived_public_key(private: Path) -> str:
    key = serialization.load_ssh_private_key(private.read_bytes(), password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode("ascii")


def test_concurrent_processes_leave_one_matching_pair(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")  # cheap: no interpreter start per run
    for round_number in range(ROUNDS):
        files = KeyFiles(tmp_path / str(round_number) / "id_ed25519")
        start, results = context.Barrier(RUNS), context.Queue()
        runs = [
            context.Process(target=_make_key, args=(str(files.private), start, results))
            for _ in range(RUNS)
        ]
        for run in runs:
            run.start()
        for run in runs:
            run.join(timeout=60)
        assert [run.exitcode for run in runs] == [0] * RUNS, f"round {round_number}"
        returned = {results.get(timeout=10) for _ in runs}
        public = _derived_public_key(files.private)
        assert files.public.read_text().split()[:2] == public.split(), f"round {round_number}"
        # every run goes on with the key on disk (the one it imports into Nova)
        assert {key.split()[1] for key in returned} == {public.split()[1]}, f"round {round_number}"
        assert (files.private.stat().st_mode & 0o777) == 0o600
        assert sorted(p.name for p in files.private.parent.iterdir()) == [
            "id_ed25519",
            "id_ed25519.pub",
        ]  # no temporary files left
