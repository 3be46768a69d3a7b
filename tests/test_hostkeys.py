"""Host keys from console logs: our block, cloud-init's, garbage, cut-off and repeated blocks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scs_kaas.ssh.hostkeys import (
    CLOUD_INIT_BEGIN,
    CLOUD_INIT_END,
    OUR_BEGIN,
    OUR_END,
    HostKey,
    host_keys,
)
from tests.support.host_key_samples import ECDSA, ED25519, REBUILT

KEYS = (ED25519, ECDSA, REBUILT)


def _line(key: HostKey, comment: str = "") -> str:
    return f"{key.type} {key.key} {comment}".rstrip()


CLOUD_INIT_LOG = f"""[   10.1] cloud-init[812]: Cloud-init v. 24.4 finished modules:config
#############################################################
-----BEGIN SSH HOST KEY FINGERPRINTS-----
256 SHA256:u5ZbXq0vVZ2kEJX0mX3S5j3v7cX8kq2dGm2c7Kq0Yh8 root@team-mgmt (ED25519)
-----END SSH HOST KEY FINGERPRINTS-----
#############################################################
{CLOUD_INIT_BEGIN}
{_line(ECDSA, "root@team-mgmt")}
{_line(ED25519, "root@team-mgmt")}
{CLOUD_INIT_END}
The system is finally up, after 612.3 seconds
"""


def test_cloud_init_block() -> None:
    assert host_keys(CLOUD_INIT_LOG) == (ECDSA, ED25519)


def test_our_block_with_console_line_endings_and_prefixes() -> None:
    text = f"boot\r\n{OUR_BEGIN}\r\n{_line(ED25519)}\r\n[  5.2] {_line(ECDSA)}\r\n{OUR_END}\r\n"
    assert host_keys(text) == (ED25519, ECDSA)


def test_last_complete_block_wins() -> None:
    rebuilt = f"{OUR_BEGIN}\n{_line(REBUILT)}\n{OUR_END}\n"
    assert host_keys(CLOUD_INIT_LOG + rebuilt) == (REBUILT,)
    # a block cut off (the log lags, or the server died printing it) leaves the last whole one
    assert host_keys(rebuilt + f"{CLOUD_INIT_BEGIN}\n{_line(ED25519)}\n") == (REBUILT,)
    assert host_keys(rebuilt + f"{OUR_BEGIN}\n{_line(ED25519)}\n{CLOUD_INIT_END}\n") == (REBUILT,)


def test_garbage_unknown_types_and_bad_blobs_are_skipped() -> None:
    text = "\n".join(
        [
            OUR_BEGIN,
            "[   7.9] random: crng init done",
            "ssh-dss AAAAB3NzaC1kc3MAAACBAP8=",  # a type OpenSSH no longer takes
            f"ssh-rsa {ED25519.key}",  # the blob says ed25519: not an RSA key
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",  # a name, no key
            "ssh-ed25519 not*base64",
            f"x{_line(ED25519)}",  # the type glued to something else
            _line(ECDSA),
            OUR_END,
        ]
    )
    assert host_keys(text) == (ECDSA,)


def test_no_block_or_an_empty_block_yields_nothing() -> None:
    assert host_keys("") == ()
    assert host_keys("FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE") == ()
    assert host_keys(_line(ED25519)) == ()  # a key outside any block is not trusted
    assert host_keys(f"{OUR_BEGIN}\n{OUR_END}\n") == ()
    assert host_keys(f"{OUR_END}\n{_line(ED25519)}\n{OUR_BEGIN}\n") == ()


def test_known_hosts_line() -> None:
    assert ED25519.known_hosts_line("203.0.113.7") == f"203.0.113.7 {_line(ED25519)}"


# Lines of console noise: anything printable that holds no marker and no key.
NOISE_LINE = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs"],
        blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    ),
    max_size=80,
).filter(lambda line: "-----" not in line and not any(k.key in line for k in KEYS))
NOISE = st.lists(NOISE_LINE, max_size=6)
MARKERS = st.sampled_from([(OUR_BEGIN, OUR_END), (CLOUD_INIT_BEGIN, CLOUD_INIT_END)])


@st.composite
def console_logs(draw: st.DrawFn) -> tuple[str, tuple[HostKey, ...], int]:
    """(console text, the keys in its block, where the block's end marker ends)."""
    keys = tuple(draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True)))
    begin, end = draw(MARKERS)
    inside: list[str] = []
    for key in keys:
        inside += [*draw(NOISE), _line(key, draw(st.sampled_from(["", "root@h"])))]
    head = "\n".join([*draw(NOISE), begin, *inside, *draw(NOISE), end])
    tail = "\n".join(draw(NOISE))
    return f"{head}\n{tail}", keys, len(head)


@given(console_logs())
def test_keys_in_noise_are_found_exactly(case: tuple[str, tuple[HostKey, ...], int]) -> None:
    text, keys, _ = case
    assert host_keys(text) == keys


@given(console_logs(), st.data())
def test_a_truncated_block_yields_nothing(
    case: tuple[str, tuple[HostKey, ...], int], data: st.DataObject
) -> None:
    text, _, block_end = case
    cut = data.draw(st.integers(min_value=0, max_value=block_end - 1))
    assert host_keys(text[:cut]) == ()
