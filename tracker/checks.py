"""System checks of the Web Push settings (`manage.py check`; the first only with `--deploy`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Tags, register

from tracker import push


@register(Tags.security, deploy=True)
def web_push_off(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Information, not a warning: a deployment without reminders on the phone is a choice."""
    if settings.DEBUG or (settings.TEND_VAPID_PRIVATE_KEY and settings.TEND_VAPID_SUBJECT):
        return []
    return [Info(
        "Web Push is off: no reminder or alert reaches a phone.",
        hint="Set TEND_VAPID_PRIVATE_KEY (the PEM of a P-256 key, e.g. from `openssl genpkey "
             "-algorithm EC -pkeyopt ec_paramgen_curve:P-256`) and TEND_VAPID_SUBJECT (mailto: or "
             "https:) to turn it on.",
        id="tend.I001",
    )]


@register(Tags.security)
def web_push_settings(app_configs: Sequence[AppConfig] | None = None,
                      **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.TEND_VAPID_PRIVATE_KEY:
        try:
            push.parse_private_key(settings.TEND_VAPID_PRIVATE_KEY)
        except push.PushNotConfigured as exc:
            errors.append(Error(str(exc), hint="Give the PEM of a P-256 (prime256v1) private key, "
                                               "unencrypted.", id="tend.E001"))
    subject = settings.TEND_VAPID_SUBJECT
    if subject and not subject.startswith(("mailto:", "https:")):
        errors.append(Error("TEND_VAPID_SUBJECT must start with mailto: or https:",
                            hint="Whom a push service may contact, e.g. mailto:care@example.org.",
                            id="tend.E002"))
    for entry in settings.TEND_PUSH_SERVICES:
        try:
            push.parse_service(entry)
        except ValueError as exc:
            errors.append(Error(f"TEND_PUSH_SERVICES: {exc}",
                                hint="Each entry is an origin, such as https://fcm.googleapis.com "
                                     "or https://*.push.apple.com.", id="tend.E003"))
    return errors
