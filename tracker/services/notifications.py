"""Telling people: Web Push messages to their devices, and an e-mail to staff about a new alert.

A PushDelivery row is one message to one subscription; the row is the source of truth. A task sends
it (delivery_send), a sweeper re-enqueues what a broker outage or a 429/5xx left pending
(deliveries_requeue_pending). Nothing in a push payload or an e-mail names the patient, her drug,
her wound or what the alert says: a lock screen and an inbox are not private.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tracker import access, push, queue
from tracker.errors import field_error
from tracker.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Caregiver,
    CaregiverStatus,
    DeliveryOutcome,
    EmailNotice,
    Language,
    Patient,
    PushDelivery,
    PushKind,
    PushSubscription,
    User,
)
from tracker.selectors.notifications import day_fully_logged

log = logging.getLogger(__name__)

# A push service that keeps failing is tried this many times in all, over about half an hour
# (30 s, 1, 2, 4, 8 min, with jitter); a Retry-After it sends is honoured, up to RETRY_MAX_SECONDS.
MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 6 * 3600
# A task enqueued this recently is taken to be on its way; the sweeper leaves it alone.
REQUEUE_AFTER = dt.timedelta(minutes=1)
# An alert is left to its own task this long before the sweeper tells the team instead.
ALERT_SWEEP_AFTER = dt.timedelta(minutes=1)
MAX_EMAIL_ATTEMPTS = 3
# Devices a user keeps subscribed; subscribing one more forgets the least recently renewed.
MAX_SUBSCRIPTIONS_PER_USER = 10
# How long a push service may hold a message for a phone that is off.
TTL_SECONDS: dict[str, int] = {PushKind.ALERT: 12 * 3600, PushKind.MISSED_DAYS: 12 * 3600,
                               PushKind.TEST: 3600}
URGENCY: dict[str, str] = {PushKind.REMINDER: "normal", PushKind.ALERT: "high",
                           PushKind.MISSED_DAYS: "normal", PushKind.TEST: "normal"}

# What each message says, per language. Short and warm, and nothing clinical.
MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    PushKind.REMINDER: {
        Language.ENGLISH: ("Tend", "It's time for today's care. Open Tend to note it when you're done."),
        Language.SPANISH: ("Tend", "Es la hora del cuidado de hoy. Abra Tend para anotarlo al terminar."),
    },
    PushKind.TEST: {
        Language.ENGLISH: ("Tend", "Notifications work on this device."),
        Language.SPANISH: ("Tend", "Las notificaciones funcionan en este dispositivo."),
    },
    PushKind.MISSED_DAYS: {
        Language.ENGLISH: ("Tend", "A day of the course went unlogged. Open Tend to see."),
        Language.SPANISH: ("Tend", "Un día del tratamiento quedó sin anotar. Abra Tend para verlo."),
    },
    PushKind.ALERT: {
        Language.ENGLISH: ("Tend", "A patient needs your attention. Open Tend to see."),
    },
}
URLS: dict[str, str] = {PushKind.REMINDER: "/", PushKind.TEST: "/", PushKind.MISSED_DAYS: "/",
        PushKind.ALERT: "/#/alerts"}

EMAIL_SUBJECT = "Tend: a new alert"
EMAIL_BODY = """A new alert is waiting for you in Tend:

{url}

Sign in to see it. For patients' privacy, this e-mail says nothing more.
"""


def message(kind: str, language: str = Language.ENGLISH, **extra: Any) -> dict[str, Any]:
    """The payload of a push message of this kind, in this language (English if it has none)."""
    texts = MESSAGES[kind]
    title, body = texts.get(language) or texts[Language.ENGLISH]
    return {"type": kind, "title": title, "body": body, "url": URLS[kind], **extra}


def push_service_of(endpoint: str) -> str:
    """The origin of an endpoint: which push service holds the subscription, for staff to read."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"[:255]


def new_delivery(*, kind: str, subscription: PushSubscription, payload: dict[str, Any],
                 now: dt.datetime, **links: Any) -> PushDelivery:
    """An unsaved pending delivery of this payload to this subscription."""
    return PushDelivery(kind=kind, user_id=subscription.user_id, subscription=subscription,
                        push_service=push_service_of(subscription.endpoint), payload=payload,
                        created_at=now, next_attempt_at=now, **links)


# --- Subscriptions --------------------------------------------------------------------------------


@transaction.atomic
def subscription_save(*, user: User, endpoint: str, p256dh: str, auth: str
                      ) -> tuple[PushSubscription, bool]:
    """Keep a browser's subscription for the user. The same endpoint again updates its keys.
    Returns (subscription, created).

    An endpoint is one browser on one device: subscribed by another user now (a shared tablet, a
    sign-out and another sign-in), it stops receiving the earlier user's messages.
    """
    push.validate_endpoint(endpoint)
    push.validate_keys(p256dh, auth)
    now = timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).first()  # one save per user at a time
    PushSubscription.objects.filter(endpoint=endpoint).exclude(user=user).delete()
    subscription = PushSubscription.objects.filter(user=user, endpoint=endpoint).first()
    created = subscription is None
    if subscription is None:
        try:
            with transaction.atomic():
                subscription = PushSubscription.objects.create(
                    user=user, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=now,
                    updated_at=now)
        except IntegrityError:  # the same browser subscribing twice at once
            subscription = PushSubscription.objects.get(user=user, endpoint=endpoint)
            created = False
    if not created:
        subscription.p256dh, subscription.auth, subscription.updated_at = p256dh, auth, now
        subscription.save(update_fields=["p256dh", "auth", "updated_at"])
    stale = (PushSubscription.objects.filter(user=user).order_by("-updated_at", "-created_at")
             .values_list("pk", flat=True)[MAX_SUBSCRIPTIONS_PER_USER:])
    PushSubscription.objects.filter(pk__in=list(stale)).delete()
    return subscription, created


def subscription_delete(*, user: User, subscription_id: uuid.UUID | str) -> None:
    """Forget one of the user's own subscriptions. Another's, or none: PushSubscription.DoesNotExist
    (the same for both, so that nobody learns another user's subscription ids)."""
    deleted, _ = PushSubscription.objects.filter(user=user, pk=subscription_id).delete()
    if not deleted:
        raise PushSubscription.DoesNotExist("No subscription of yours has this id.")


def language_of(user: User) -> str:
    """The language of a user's messages: her own as a patient, her patient's as a caregiver,
    English for staff."""
    patient = access.acting_for(user)
    return patient.language if patient is not None else Language.ENGLISH


@transaction.atomic
def test_send(*, user: User) -> list[PushDelivery]:
    """A test message to each of the user's devices, sent by the workers; a ValidationError
    naming `subscription` when she has none."""
    if not PushSubscription.objects.filter(user=user).exists():
        raise field_error("subscription", "This account has no device subscribed to notifications.")
    now = timezone.now()
    patient = access.acting_for(user)
    payload = message(PushKind.TEST, language_of(user))
    deliveries = [new_delivery(kind=PushKind.TEST, subscription=subscription, payload=payload,
                               now=now, patient=patient)
                  for subscription in PushSubscription.objects.filter(user=user)]
    PushDelivery.objects.bulk_create(deliveries)
    queue.enqueue_many_on_commit(queue.SEND_PUSH, PushDelivery, [d.pk for d in deliveries])
    return deliveries


# --- Sending one message --------------------------------------------------------------------------


def retry_delay(attempts: int, retry_after: int | None = None) -> dt.timedelta:
    """How long to wait after the `attempts`-th failure: doubling from RETRY_BASE_SECONDS, with
    jitter (deliveries that failed together do not retry together), at least what the push service
    asked for in Retry-After."""
    doubled = RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    seconds = random.uniform(doubled / 2, doubled)
    return dt.timedelta(seconds=min(RETRY_MAX_SECONDS, max(seconds, retry_after or 0)))


def _late_by(delivery: PushDelivery, now: dt.datetime) -> dt.timedelta:
    assert delivery.occurrence is not None
    return now - delivery.occurrence.due_at


def delivery_send(delivery_id: uuid.UUID | str, *, now: dt.datetime | None = None) -> str:
    """Send one pending message, once. Returns its outcome (unchanged when there was nothing to do).

    1. Lock the row; only a pending delivery whose time has come is sent: a second task for the
       same row waits for the first, then finds it done.
    2. A reminder whose day was logged since the scan found it is `already_logged`, unsent; one now
       later than TEND_REMINDER_LATE_MINUTES is `failed`: it would no longer help.
    3. Send. 2xx: `sent`. 404/410: `gone`, and the subscription is deleted (the delivery keeps its
       push service). 429, 5xx, no answer: tried again after a backoff, `failed` after
       MAX_ATTEMPTS. Refused (the endpoint is not one we send to), any other answer: `failed`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (PushDelivery.objects.select_for_update(of=("self",))
                    .select_related("subscription", "occurrence", "course__patient", "user")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.outcome != DeliveryOutcome.PENDING:
            return delivery.outcome if delivery is not None else DeliveryOutcome.FAILED
        if delivery.next_attempt_at > now:
            return delivery.outcome  # waiting for its retry; the sweeper sends it then
        late = dt.timedelta(minutes=settings.TEND_REMINDER_LATE_MINUTES)
        subscription = delivery.subscription
        ttl = TTL_SECONDS.get(delivery.kind, 3600)
        if subscription is None:
            return _finish(delivery, DeliveryOutcome.GONE)
        if not delivery.user.is_active:
            return _finish(delivery, DeliveryOutcome.FAILED)
        if delivery.kind == PushKind.REMINDER and delivery.occurrence is not None:
            if _late_by(delivery, now) > late:
                return _finish(delivery, DeliveryOutcome.FAILED)
            assert delivery.course is not None
            if day_fully_logged(delivery.course, delivery.occurrence.local_date):
                return _finish(delivery, DeliveryOutcome.ALREADY_LOGGED)
            ttl = max(1, int((late - _late_by(delivery, now)).total_seconds()))
        delivery.attempts += 1
        try:
            response = push.send(endpoint=subscription.endpoint, p256dh=subscription.p256dh,
                                 auth=subscription.auth, payload=delivery.payload, ttl=ttl,
                                 urgency=URGENCY.get(delivery.kind, "normal"))
        except push.PushTransportError as exc:
            log.info("Push delivery %s: %s", delivery.pk, exc)
            return _retry_later(delivery, now, status_code=None, retry_after=None)
        except (push.PushRefused, push.PushNotConfigured, ValueError) as exc:
            log.warning("Push delivery %s not sent: %s", delivery.pk, exc)
            return _finish(delivery, DeliveryOutcome.FAILED)
        if response.ok:
            PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=now)
            delivery.sent_at = now
            return _finish(delivery, DeliveryOutcome.SENT, status_code=response.status_code)
        if response.gone:
            outcome = _finish(delivery, DeliveryOutcome.GONE, status_code=response.status_code)
            subscription.delete()  # its deliveries keep their push service; their link goes null
            return outcome
        if response.retryable:
            return _retry_later(delivery, now, status_code=response.status_code,
                                retry_after=response.retry_after)
        log.warning("Push delivery %s refused by %s with %s", delivery.pk, delivery.push_service,
                    response.status_code)
        return _finish(delivery, DeliveryOutcome.FAILED, status_code=response.status_code)


def _finish(delivery: PushDelivery, outcome: str, *, status_code: int | None = None) -> str:
    delivery.outcome = outcome
    if status_code is not None:
        delivery.status_code = status_code
    delivery.save(update_fields=["outcome", "status_code", "attempts", "sent_at"])
    return outcome


def _retry_later(delivery: PushDelivery, now: dt.datetime, *, status_code: int | None,
                 retry_after: int | None) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        return _finish(delivery, DeliveryOutcome.FAILED, status_code=status_code)
    delivery.status_code = status_code
    delivery.next_attempt_at = now + retry_delay(delivery.attempts, retry_after)
    delivery.enqueued_at = None  # due for the sweeper as soon as its time comes
    delivery.save(update_fields=["status_code", "attempts", "next_attempt_at", "enqueued_at"])
    return delivery.outcome


def deliveries_requeue_pending(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """The sweeper: enqueue pending deliveries whose time has come and that no task has been sent
    for in the last minute (a retry after a 429 or 5xx, a broker outage)."""
    now = now or timezone.now()
    recently = now - REQUEUE_AFTER
    due = (PushDelivery.objects.filter(outcome=DeliveryOutcome.PENDING, next_attempt_at__lte=now)
           .exclude(enqueued_at__gt=recently)
           .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    return queue.enqueue_many(queue.SEND_PUSH, PushDelivery, list(due))


# --- A new alert ----------------------------------------------------------------------------------


def alert_notify(alert_id: uuid.UUID | str, *, now: dt.datetime | None = None) -> bool:
    """Tell the care team about a new alert, once; and her caregivers, for days not logged.
    Returns whether the alert is now marked told.

    1. Lock the alert; told already, or acknowledged before anyone was told: nothing to do.
    2. A push to each device of each active care-team member; for missed days, one to each device
       of each active caregiver. Unique per alert, subscription and kind: a second run adds none.
    3. One EmailNotice per care-team member with an address; each is claimed by a conditional
       update before it is sent, so that two runs never send it twice.
    4. `notified_at` once every e-mail went out or ran out of attempts; until then the sweeper
       runs this again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        alert = (Alert.objects.select_for_update(of=("self",)).select_related("patient")
                 .filter(pk=alert_id).first())
        if alert is None or alert.notified_at is not None:
            return alert is not None
        if alert.status != AlertStatus.OPEN:
            Alert.objects.filter(pk=alert.pk).update(notified_at=now)
            return True
        team = list(User.objects.filter(memberships__patient_id=alert.patient_id, is_active=True))
        deliveries = _alert_deliveries(alert, team, now)
        PushDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        pending = PushDelivery.objects.filter(alert=alert, outcome=DeliveryOutcome.PENDING)
        queue.enqueue_many_on_commit(queue.SEND_PUSH, PushDelivery,
                                     list(pending.values_list("pk", flat=True)))
        EmailNotice.objects.bulk_create(
            [EmailNotice(alert=alert, user=member, created_at=now) for member in team if member.email],
            ignore_conflicts=True)

    unsent = EmailNotice.objects.filter(alert_id=alert.pk, sent_at__isnull=True,
                                        attempts__lt=MAX_EMAIL_ATTEMPTS)
    for notice in unsent.select_related("user"):
        claimed = EmailNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(
            sent_at=now, attempts=F("attempts") + 1)
        if not claimed:
            continue  # another run sent it
        try:
            send_mail(EMAIL_SUBJECT, EMAIL_BODY.format(url=alert_url(alert)), None,
                      [notice.user.email])
        except Exception:  # any mail failure: the sweeper tries again
            log.warning("Alert e-mail %s not sent; it will be tried again.", notice.pk, exc_info=True)
            EmailNotice.objects.filter(pk=notice.pk).update(sent_at=None)
    if unsent.exists():
        return False
    return Alert.objects.filter(pk=alert.pk, notified_at__isnull=True).update(notified_at=now) == 1


def alert_url(alert: Alert) -> str:
    return f"{settings.TEND_PUBLIC_URL}/#/alerts/{alert.pk}"


def _alert_deliveries(alert: Alert, team: list[User], now: dt.datetime) -> list[PushDelivery]:
    links = {"alert": alert, "patient_id": alert.patient_id, "course_id": alert.course_id}
    payload = message(PushKind.ALERT)
    deliveries = [new_delivery(kind=PushKind.ALERT, subscription=subscription, payload=payload,
                               now=now, **links)
                  for subscription in PushSubscription.objects.filter(user__in=team)]
    if alert.kind == AlertKind.NO_LOG:
        deliveries += _missed_days_deliveries(alert.patient, links, now)
    return deliveries


def _missed_days_deliveries(patient: Patient, links: dict[str, Any], now: dt.datetime
                            ) -> list[PushDelivery]:
    caregivers = Caregiver.objects.filter(patient=patient, status=CaregiverStatus.ACTIVE,
                                          user__is_active=True).values("user_id")
    payload = message(PushKind.MISSED_DAYS, patient.language)
    return [new_delivery(kind=PushKind.MISSED_DAYS, subscription=subscription, payload=payload,
                         now=now, **links)
            for subscription in PushSubscription.objects.filter(user__in=caregivers)]


def alerts_notify_unnotified(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """The sweeper: enqueue the telling of alerts that nobody was told about a minute after they
    opened (a broker outage, a lost worker, an e-mail server that was down)."""
    now = now or timezone.now()
    waiting = (Alert.objects.filter(notified_at__isnull=True, created_at__lt=now - ALERT_SWEEP_AFTER)
               .order_by("created_at").values_list("pk", flat=True)[:limit])
    return sum(queue.nudge(queue.NOTIFY_ALERT, pk) for pk in list(waiting))
