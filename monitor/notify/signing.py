"""Standard Webhooks signatures: HMAC-SHA256 over "id.timestamp.body" with a whsec_ key. Pure.

The signed content is ``f"{message_id}.{timestamp}.".encode() + body`` (the body as the exact
bytes sent); the key is the base64 text after the ``whsec_`` prefix, decoded. The header value
is ``v1,<base64 of the MAC>``; a receiver may get several space-separated signatures (key
rotation) and accepts the message when any ``v1`` one matches.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SIGNATURE_VERSION = "v1"


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret; raises ValueError when it is not base64 or empty."""
    text = secret.strip().removeprefix(SECRET_PREFIX)
    text += "=" * (-len(text) % 4)  # tolerate unpadded base64, as the reference library does
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the webhook secret must be 'whsec_' followed by base64") from None
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def _mac(key: bytes, message_id: str, timestamp: int, body: bytes) -> bytes:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one request: ``"v1,<base64 HMAC-SHA256>"``."""
    mac = _mac(secret_key(secret), message_id, timestamp, body)
    return f"{SIGNATURE_VERSION},{base64.b64encode(mac).decode('ascii')}"


def verify(secret: str, message_id: str, timestamp: int, body: bytes, signatures: str) -> bool:
    """True when any ``v1`` entry of a ``webhook-signature`` header value matches.

    Checks only the MAC: a receiver should also refuse timestamps far from its clock (the
    reference libraries allow five minutes) and drop message ids it has already processed.
    """
    expected = _mac(secret_key(secret), message_id, timestamp, body)
    for entry in signatures.split():
        version, _, encoded = entry.partition(",")
        if version != SIGNATURE_VERSION:
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, candidate):
            return True
    return False
