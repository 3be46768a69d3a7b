"""scs-kaas's OpenStack adapters and workflows against the local cloud (and, where CAPO takes
part, the management cluster). The cloud's own checks are in tests/localcloud/."""
