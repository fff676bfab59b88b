"""Webhook delivery against a real loopback receiver that verifies every signature."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from monitor.digest.model import ClaimSection, Counts, Digest, Notice, webhook_body
from monitor.errors import ConfigError
from monitor.notify.base import Attempt, SendOutcome, Verdict
from monitor.notify.signing import sign
from monitor.notify.webhook import (
    WebhookNotifier,
    _secret_parts,
    endpoint_name,
    outcome_for_status,
    scrub,
)
from tests.fixtures_http import FakeResolver
from tests.webhook_receiver import Reply, WebhookReceiver, redirect

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
TOKEN = "T0KEN-sentinel-7f3a9c"
QUERY_TOKEN = "Q-sentinel-51be"
PATH = f"/hooks/{TOKEN}?key={QUERY_TOKEN}"
CREATED = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
DIGEST = Digest(
    delivery_id="dlv-000123",
    channel_id="ops-hook",
    created_at=CREATED,
    claims=(
        ClaimSection(
            claim_id="c1",
            text="Zürich bans cars – “soon”",
            status="supported",
            counts=Counts(supports=2),
            changes=(),
            evidence=(),
        ),
    ),
    notices=(Notice("info", "hello", CREATED),),
    event_count=3,
)


def attempt(number: int = 1, offset_s: int = 0) -> Attempt:
    # Close to the real clock: the reference verifier refuses timestamps 5 minutes off.
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=offset_s)
    return Attempt(DIGEST, number, now)


def send_all(notifier: WebhookNotifier, attempts: list[Attempt]) -> list[SendOutcome]:
    async def go() -> list[SendOutcome]:
        try:
            return [await notifier.send(a) for a in attempts]
        finally:
            await notifier.aclose()

    outcomes = asyncio.run(go())
    for outcome in outcomes:
        assert_no_secret(outcome)  # every test: no error ever holds the URL's tokens
    return outcomes


def notifier(
    url: str,
    *,
    allow_private: bool = True,
    timeout: float = 2.0,
    resolver: FakeResolver | None = None,
) -> WebhookNotifier:
    return WebhookNotifier(
        "ops-hook", url, SECRET, timeout=timeout, allow_private=allow_private, resolver=resolver
    )


def assert_no_secret(outcome: SendOutcome) -> None:
    assert outcome.error is None or (
        TOKEN not in outcome.error
        and QUERY_TOKEN not in outcome.error
        and "\n" not in outcome.error
    )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as started:
        yield started


def test_retried_until_delivered_with_one_id_and_fresh_signed_timestamps(
    receiver: WebhookReceiver,
) -> None:
    receiver.script = [Reply(500), Reply(500), Reply(200)]
    attempts = [attempt(1, 0), attempt(2, 5), attempt(3, 35)]
    outcomes = send_all(notifier(receiver.url(PATH)), attempts)
    assert [o.verdict for o in outcomes] == [Verdict.RETRY, Verdict.RETRY, Verdict.SENT]
    assert outcomes[0].error == "endpoint answered HTTP 500 Internal Server Error"
    assert len(receiver.requests) == 3
    assert {r.header("webhook-id") for r in receiver.requests} == {"dlv-000123"}
    assert [r.verified for r in receiver.requests] == [True, True, True]
    assert [r.header("webhook-timestamp") for r in receiver.requests] == [
        str(int(a.now.timestamp())) for a in attempts
    ]
    assert len({r.header("webhook-signature") for r in receiver.requests}) == 3
    assert {r.body for r in receiver.requests} == {webhook_body(DIGEST)}
    first = receiver.requests[0]
    assert first.method == "POST" and first.path == PATH
    assert first.header("content-type") == "application/json"
    assert (first.header("user-agent") or "").startswith("monitor/")


@pytest.mark.parametrize(
    ("reply", "verdict", "error", "retry_after", "disable"),
    [
        (
            Reply(410),
            Verdict.DEAD,
            "endpoint is gone (HTTP 410 Gone); disabling the channel",
            None,
            True,
        ),
        (
            Reply(400),
            Verdict.DEAD,
            "endpoint refused the digest (HTTP 400 Bad Request)",
            None,
            False,
        ),
        (Reply(408), Verdict.RETRY, "endpoint answered HTTP 408 Request Timeout", None, False),
        (
            Reply(429, (("Retry-After", "120"),)),
            Verdict.RETRY,
            "endpoint answered HTTP 429 Too Many Requests; asked to retry after 120 s",
            120.0,
            False,
        ),
        (Reply(503, (("Retry-After", "30"),)), Verdict.RETRY, None, 30.0, False),
        (Reply(204), Verdict.SENT, None, None, False),
    ],
)
def test_status_codes(
    receiver: WebhookReceiver,
    reply: Reply,
    verdict: Verdict,
    error: str | None,
    retry_after: float | None,
    disable: bool,
) -> None:
    receiver.script = [reply]
    (outcome,) = send_all(notifier(receiver.url(PATH)), [attempt()])
    assert outcome.verdict is verdict
    if error is not None:
        assert outcome.error == error
    assert outcome.retry_after == retry_after
    assert outcome.disable_channel is disable
    assert [r.verified for r in receiver.requests] == [True]


def test_redirect_is_not_followed(receiver: WebhookReceiver) -> None:
    with WebhookReceiver(SECRET) as target:
        receiver.script = [redirect(target.url(f"/elsewhere/{TOKEN}"))]
        (outcome,) = send_all(notifier(receiver.url(PATH)), [attempt()])
        assert outcome.verdict is Verdict.DEAD
        assert outcome.error == "endpoint redirected (HTTP 301); redirects are not followed"
        assert len(receiver.requests) == 1
        assert target.requests == [] and target.connections == 0


def test_hanging_receiver_times_out_and_is_retried(receiver: WebhookReceiver) -> None:
    receiver.script = [Reply(200, delay=5.0)]
    (outcome,) = send_all(notifier(receiver.url(PATH), timeout=0.3), [attempt()])
    assert outcome.verdict is Verdict.RETRY
    assert outcome.error == f"timed out after 0.3 s (http://127.0.0.1:{receiver.port})"
    assert len(receiver.requests) == 1


def test_loopback_refused_unless_private_allowed(receiver: WebhookReceiver) -> None:
    (outcome,) = send_all(notifier(receiver.url(PATH), allow_private=False), [attempt()])
    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None
    assert outcome.error.startswith("refusing non-public address 127.0.0.1 (host 127.0.0.1)")
    assert receiver.connections == 0 and receiver.requests == []


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "::1", "::ffff:192.168.1.1"])
def test_name_resolving_to_a_private_address_is_refused(address: str) -> None:
    resolver = FakeResolver({"hooks.example.test": [address]})
    url = f"https://hooks.example.test{PATH}"
    (outcome,) = send_all(notifier(url, allow_private=False, resolver=resolver), [attempt()])
    assert outcome.verdict is Verdict.DEAD
    assert outcome.error == (
        f"refusing non-public address {address} (host hooks.example.test)"
        " (https://hooks.example.test)"
    )
    assert resolver.calls == ["hooks.example.test"]


def test_unresolvable_name_is_retried() -> None:
    resolver = FakeResolver({})
    (outcome,) = send_all(notifier(f"https://nowhere.test{PATH}", resolver=resolver), [attempt()])
    assert outcome.verdict is Verdict.RETRY
    assert outcome.error is not None and "cannot resolve host nowhere.test" in outcome.error


def test_connection_refused_is_retried() -> None:
    with WebhookReceiver(SECRET) as gone:
        url = gone.url(PATH)
    (outcome,) = send_all(notifier(url), [attempt()])
    assert outcome.verdict is Verdict.RETRY
    assert outcome.error is not None and outcome.error.startswith("cannot connect")


def test_receiver_really_checks_signatures(receiver: WebhookReceiver) -> None:
    body = webhook_body(DIGEST)
    timestamp = int(datetime.now(UTC).timestamp())
    good = sign(SECRET, DIGEST.delivery_id, timestamp, body)
    tampered = good[:-6] + ("AAAAA=" if not good.endswith("AAAAA=") else "BBBBB=")
    for signature in (good, tampered):
        headers = {
            "webhook-id": DIGEST.delivery_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        }
        httpx.post(receiver.url("/"), content=body, headers=headers, trust_env=False)
    assert [r.verified for r in receiver.requests] == [True, False]


def test_a_receiver_with_another_secret_rejects_our_signature() -> None:
    other = "whsec_" + base64.b64encode(b"another secret of 24+ bytes!").decode()
    with WebhookReceiver(other) as receiver:
        (outcome,) = send_all(notifier(receiver.url(PATH)), [attempt()])
    assert outcome.verdict is Verdict.SENT  # the receiver answers 200 regardless
    assert [r.verified for r in receiver.requests] == [False]


@pytest.mark.parametrize(
    ("url", "secret", "message"),
    [
        (f"ftp://example.test{PATH}", SECRET, "must be http:// or https://"),
        (f"https://example.test{PATH}", "whsec_***", "webhook secret"),
    ],
)
def test_bad_configuration_names_the_channel_not_the_url(
    url: str, secret: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        WebhookNotifier("ops-hook", url, secret, timeout=1.0, allow_private=False)
    assert "'ops-hook'" in str(raised.value) and TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    ("status", "retry_after", "verdict", "wait"),
    [
        (200, None, Verdict.SENT, None),
        (299, None, Verdict.SENT, None),
        (302, None, Verdict.DEAD, None),
        (308, None, Verdict.DEAD, None),
        (401, None, Verdict.DEAD, None),
        (404, None, Verdict.DEAD, None),
        (413, None, Verdict.DEAD, None),
        (429, "Sat, 01 Mar 2025 09:00:00 GMT", Verdict.RETRY, 3600.0),
        (429, "soon", Verdict.RETRY, None),
        (500, "60", Verdict.RETRY, None),  # Retry-After is only read on 429 and 503
        (502, None, Verdict.RETRY, None),
        (599, None, Verdict.RETRY, None),
        (101, None, Verdict.RETRY, None),
    ],
)
def test_outcome_for_status(
    status: int, retry_after: str | None, verdict: Verdict, wait: float | None
) -> None:
    outcome = outcome_for_status(status, retry_after, datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    assert outcome.verdict is verdict
    assert outcome.retry_after == wait
    assert outcome.disable_channel is False


def test_scrub_removes_url_tokens_but_keeps_the_endpoint() -> None:
    url = f"https://user:pa55word@hooks.example.test:8443/services/{TOKEN}/x?key={QUERY_TOKEN}"
    text = f"failed for {url} and /services/{TOKEN} with key={QUERY_TOKEN}\nand user:pa55word"
    cleaned = scrub(text, _secret_parts(url))
    assert TOKEN not in cleaned and QUERY_TOKEN not in cleaned and "pa55word" not in cleaned
    assert "\n" not in cleaned
    assert endpoint_name(httpx.URL(url)) == "https://hooks.example.test:8443"
    assert endpoint_name(httpx.URL("http://[::1]/a")) == "http://[::1]"
