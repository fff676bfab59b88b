"""Standard Webhooks signatures: known vectors computed independently, and the reference library."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from monitor.notify.signing import secret_key, sign, verify

KEY = bytes(range(32))
SECRET = "whsec_" + base64.b64encode(KEY).decode()


def expected(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    content = message_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize(
    ("message_id", "timestamp", "body"),
    [
        ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'),
        ("d-1", 0, b""),
        ("d-2", 1735689600, '{"text":"Zürich – 東京"}'.encode()),
        ("id.with.dots", 2_000_000_000, b"\x00\xff binary"),
    ],
)
def test_sign_matches_an_independent_hmac(message_id: str, timestamp: int, body: bytes) -> None:
    signature = sign(SECRET, message_id, timestamp, body)
    assert signature == expected(KEY, message_id, timestamp, body)
    assert verify(SECRET, message_id, timestamp, body, signature)


def test_published_example_vector() -> None:
    # The example of the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_reference_library_agrees() -> None:
    now = datetime.now(UTC)
    timestamp = int(now.timestamp())
    body = b'{"type":"monitor.digest"}'
    headers = {
        "webhook-id": "d-42",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(SECRET, "d-42", timestamp, body),
    }
    Webhook(SECRET).verify(body, headers)  # raises on a mismatch
    assert Webhook(SECRET).sign("d-42", now, body.decode()) == headers["webhook-signature"]


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        ("none", True),
        ("body", False),
        ("id", False),
        ("timestamp", False),
        ("other key", False),
    ],
)
def test_verify_detects_changes(change: str, valid: bool) -> None:
    signature = sign(SECRET, "d-1", 100, b"body")
    other = "whsec_" + base64.b64encode(bytes(32)).decode()
    args = {
        "none": (SECRET, "d-1", 100, b"body"),
        "body": (SECRET, "d-1", 100, b"bodY"),
        "id": (SECRET, "d-2", 100, b"body"),
        "timestamp": (SECRET, "d-1", 101, b"body"),
        "other key": (other, "d-1", 100, b"body"),
    }[change]
    assert verify(*args, signature) is valid


@pytest.mark.parametrize(
    ("header", "valid"),
    [
        ("v1,bad {good}", True),  # several signatures (key rotation): any one will do
        ("v2,{good_b64}", False),  # unknown versions are ignored
        ("v1,not-base64!", False),
        ("", False),
    ],
)
def test_verify_header_forms(header: str, valid: bool) -> None:
    good = sign(SECRET, "d-1", 100, b"body")
    text = header.format(good=good, good_b64=good.partition(",")[2])
    assert verify(SECRET, "d-1", 100, b"body", text) is valid


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        (SECRET, KEY),
        (SECRET.rstrip("="), KEY),  # unpadded base64 is accepted, as the reference does
        (base64.b64encode(KEY).decode(), KEY),  # the prefix is optional
    ],
)
def test_secret_key(secret: str, key: bytes) -> None:
    assert secret_key(secret) == key


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not base64!", "whsec_@@@@"])
def test_bad_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="webhook secret"):
        secret_key(secret)
