"""SHA-256 hex digests of keys and URLs, the fixed-width forms the unique indexes use; pure."""

from __future__ import annotations

import hashlib


def sha256_hex(value: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of `value` (lone surrogates kept, so any str hashes)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
