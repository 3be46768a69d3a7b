"""The environment's lock between real processes: who holds it, a bounded wait, crashes."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scs_kaas.filelock import LockedError, held, holder_of

# holds the lock until its stdin closes (or it is killed)
HOLDER = """
import sys
from pathlib import Path
from scs_kaas.filelock import held
with held(Path(sys.argv[1]), "kaas mgmt create of prefix demo", 0, print):
    print("held", flush=True)
    sys.stdin.read()
"""


@contextmanager
def holding(path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        assert process.stdout.readline() == "held\n"
        yield process
    finally:
        if process.poll() is None:
            process.stdin.close()
        process.wait(timeout=30)


def test_a_second_holder_is_refused_naming_the_first(tmp_path: Path) -> None:
    lock = tmp_path / "demo.lock"
    said: list[str] = []
    with holding(lock) as first:
        assert f"kaas mgmt create of prefix demo (pid {first.pid} on " in holder_of(lock)
        with pytest.raises(LockedError) as refused, held(lock, "second", 0, said.append):
            pytest.fail("the lock was taken twice")
    message = str(refused.value)
    assert f"(pid {first.pid} on " in message and str(lock) in message
    assert "nothing was changed" in message and "--lock-timeout" in message
    assert said == []  # refused at once, no waiting
    with held(lock, "third", 0, said.append):  # free again once the first let go
        assert holder_of(lock).startswith("third (pid ")
    assert holder_of(lock) == "another kaas command"  # no stale holder recorded


def test_a_waiting_run_says_whom_it_waits_for_and_gets_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "demo.lock"
    said: list[str] = []
    waiting = threading.Event()

    def say(text: str) -> None:
        said.append(text)
        waiting.set()

    with holding(lock) as first:
        stdin = first.stdin
        assert stdin is not None

        def release_once_waited_for() -> None:
            if waiting.wait(timeout=30):
                stdin.close()

        releaser = threading.Thread(target=release_once_waited_for)
        releaser.start()
        with held(lock, "second", 60, say, interval=0.05):
            assert first.wait(timeout=30) == 0
        releaser.join()
    assert len(said) == 1
    assert said[0].startswith("waiting for kaas mgmt create of prefix demo (pid ")
    assert "up to 60 s" in said[0]


def test_the_wait_is_bounded(tmp_path: Path) -> None:
    lock = tmp_path / "demo.lock"
    with (
        holding(lock),
        pytest.raises(LockedError, match=r"still holds .* after 1 s"),
        held(lock, "second", 1, lambda _text: None, interval=0.05),
    ):
        pytest.fail("the lock was taken twice")


def test_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    lock = tmp_path / "demo.lock"
    with holding(lock) as first:
        first.kill()
        first.wait(timeout=30)
        with held(lock, "after the crash", 0, lambda _text: None):
            assert holder_of(lock).startswith("after the crash")
