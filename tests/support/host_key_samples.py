"""Host keys as a management host prints them: two of one host, and the key it has once rebuilt.

Shared by the tests of host key parsing, known_hosts and `kaas mgmt` host trust.
"""

from __future__ import annotations

from scs_kaas.ssh.hostkeys import HostKey

# real keys (ssh-keygen), so the blob check sees what a host prints
ED25519 = HostKey(
    "ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAICODpG4zP6rg+FU7cRMhW1GUeLaXSaqxSkm5NOef1aUU"
)
ECDSA = HostKey(
    "ecdsa-sha2-nistp256",
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBExEm+iBvGljAzPF4YfSVLo+0lzwpE41C4IjfxZHT"
    "HGYo5acQguIdquiDEa6Sh0APC/nPR7AEgrAMYuzKdIJ9hc=",
)
REBUILT = HostKey(
    "ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIK4+IsXEEkNZzvm3hxd+jKA9sKShyCS/2hcu1YBhxO1V"
)
