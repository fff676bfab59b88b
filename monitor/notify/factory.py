"""Builds one notifier per configured channel, with its message composer. No I/O until used."""

from __future__ import annotations

from email.message import EmailMessage

from monitor.channels import ChannelSettings
from monitor.digest.email_message import build_email, message_domain
from monitor.digest.render import render_subject, render_text
from monitor.fetch import Resolver, default_user_agent
from monitor.notify.apprise_channel import AppriseNotifier
from monitor.notify.base import Attempt, Notifier
from monitor.notify.email import EmailNotifier
from monitor.notify.webhook import WebhookNotifier
from monitor.settings import Settings


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    if getter is None:
        raise ValueError("channel setting missing")  # the settings validator prevents this
    return str(getter())


def build_notifier(
    channel: ChannelSettings, settings: Settings, *, resolver: Resolver | None = None
) -> Notifier:
    if channel.type == "email":
        smtp = settings.smtp
        domain = message_domain(smtp.sender)
        recipients, unsubscribe = channel.to, channel.unsubscribe

        def compose_email(attempt: Attempt) -> EmailMessage:
            return build_email(
                attempt.digest,
                sender=smtp.sender,
                to=recipients,
                unsubscribe=unsubscribe,
                now=attempt.now,
                domain=domain,
            )

        return EmailNotifier(channel.id, smtp, recipients, compose_email)
    if channel.type == "webhook":
        return WebhookNotifier(
            channel.id,
            _secret(channel.url),
            _secret(channel.secret),
            timeout=channel.timeout,
            allow_private=channel.allow_private,
            resolver=resolver,
            user_agent=settings.fetch.user_agent or default_user_agent(),
        )

    def compose_chat(attempt: Attempt) -> tuple[str, str]:
        return render_subject(attempt.digest), render_text(attempt.digest)

    return AppriseNotifier(channel.id, _secret(channel.url), compose_chat)


def build_notifiers(settings: Settings, *, resolver: Resolver | None = None) -> dict[str, Notifier]:
    return {c.id: build_notifier(c, settings, resolver=resolver) for c in settings.channels}
