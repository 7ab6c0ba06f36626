"""Telling people (tracker/services/notifications.py): subscriptions, one push message sent to a
push service that checks and decrypts it (tests/pushservice.py), what each answer does to the
delivery and the subscription, and a new alert told to the care team and, for missed days, to
the caregivers, once, with no patient detail anywhere."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.utils import timezone

from tests.pushservice import FakePushService, Subscription
from tests.tracker.test_reminders import caregiver_of, new_course, new_patient, subscription_keys
from tracker import clock, push, queue, tasks
from tracker.errors import ValidationError
from tracker.models import (
    Alert,
    AlertKind,
    CaregiverStatus,
    DeliveryOutcome,
    EmailNotice,
    PushDelivery,
    PushKind,
    PushSubscription,
    ReminderTime,
    TreatmentCourse,
    User,
)
from tracker.services import alerts, notifications, records, reminders

pytestmark = pytest.mark.django_db

PHI = ("helen", "mercer", "sodium", "thiosulfate", "thigh", "lateral", "emulsion", "fever",
       "warning", "calcinosis", "10 %", "10%")


@pytest.fixture
def service(settings: Any) -> Iterator[FakePushService]:
    """A push service that Tend may send to, and a VAPID key of this test's own."""
    with FakePushService() as running:
        settings.TEND_PUSH_SERVICES = [running.origin]
        settings.TEND_VAPID_PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        settings.TEND_VAPID_SUBJECT = "mailto:care@tend.invalid"
        yield running


def subscribe(user: User, service: FakePushService) -> tuple[Subscription, PushSubscription]:
    browser = service.new_subscription()
    stored, created = notifications.subscription_save(user=user, endpoint=browser.endpoint,
                                                      p256dh=browser.p256dh, auth=browser.auth)
    assert created
    return browser, stored


def due_reminder(course: TreatmentCourse, *, minutes_ago: float = 1) -> list[PushDelivery]:
    """The course's reminder due `minutes_ago`, scanned now: its pending deliveries."""
    now = timezone.now()
    assert course.patient.user is not None
    reminders.reminders_set(course=course, enabled=True, times=[dt.time(20)], by=course.patient.user)
    due = now - dt.timedelta(minutes=minutes_ago)
    ReminderTime.objects.filter(course=course).update(
        next_due_at=due, next_local_date=clock.local_date(due, course.patient.timezone))
    reminders.reminders_due_scan(now=now)
    return list(PushDelivery.objects.filter(course=course, outcome=DeliveryOutcome.PENDING))


def send_test_message(user: User) -> list[PushDelivery]:
    return notifications.test_send(user=user)


def reloaded(delivery: PushDelivery) -> PushDelivery:
    return PushDelivery.objects.get(pk=delivery.pk)


# --- Subscriptions --------------------------------------------------------------------------------


def test_a_subscription_is_validated_and_the_same_endpoint_again_updates_its_keys(
        cast: Any, service: FakePushService) -> None:
    browser, stored = subscribe(cast.patient_user, service)
    keys = subscription_keys()

    again, created = notifications.subscription_save(user=cast.patient_user,
                                                     endpoint=browser.endpoint, **keys)

    assert created is False and again.pk == stored.pk
    assert (again.p256dh, again.auth) == (keys["p256dh"], keys["auth"])
    assert PushSubscription.objects.filter(user=cast.patient_user).count() == 1


@pytest.mark.parametrize(("endpoint", "p256dh", "auth", "field"), [
    ("https://push.example.com/abc", None, None, "endpoint"),
    ("http://169.254.169.254/latest", None, None, "endpoint"),
    (None, "not-a-key", None, "keys.p256dh"),
    (None, None, "c2hvcnQ", "keys.auth"),
])
def test_a_subscription_to_elsewhere_or_with_bad_keys_is_refused(
        cast: Any, service: FakePushService, endpoint: str | None, p256dh: str | None,
        auth: str | None, field: str) -> None:
    browser = service.new_subscription()
    with pytest.raises(ValidationError) as caught:
        notifications.subscription_save(user=cast.patient_user, endpoint=endpoint or browser.endpoint,
                                        p256dh=p256dh or browser.p256dh, auth=auth or browser.auth)
    assert field in caught.value.message_dict
    assert not PushSubscription.objects.exists()


def test_an_endpoint_subscribed_by_another_user_stops_getting_the_first_users_messages(
        cast: Any, service: FakePushService) -> None:
    browser, _ = subscribe(cast.nurse, service)  # a shared tablet
    notifications.subscription_save(user=cast.patient_user, endpoint=browser.endpoint,
                                    p256dh=browser.p256dh, auth=browser.auth)
    assert list(PushSubscription.objects.values_list("user_id", flat=True)) == [cast.patient_user.pk]


def test_only_her_own_subscription_can_be_deleted(cast: Any, service: FakePushService) -> None:
    _, hers = subscribe(cast.patient_user, service)
    _, theirs = subscribe(cast.other_patient_user, service)

    with pytest.raises(PushSubscription.DoesNotExist):
        notifications.subscription_delete(user=cast.patient_user, subscription_id=theirs.pk)
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()

    notifications.subscription_delete(user=cast.patient_user, subscription_id=hers.pk)
    assert not PushSubscription.objects.filter(pk=hers.pk).exists()


# --- Sending one message --------------------------------------------------------------------------


def test_a_reminder_reaches_the_push_service_encrypted_and_signed(
        cast: Any, service: FakePushService, tasks_sent: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    browser, stored = subscribe(cast.patient_user, service)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = due_reminder(cast.course)
    assert tasks_sent[queue.SEND_PUSH] == [[str(delivery.pk)]]

    assert tasks.send_push(str(delivery.pk)) == DeliveryOutcome.SENT

    [received] = service.received_for(browser)
    assert received.problems == []
    assert received.payload == delivery.payload
    assert received.payload["type"] == "reminder" and received.payload["url"] == "/"
    assert received.payload["course"] == str(cast.course.pk)
    assert received.claims is not None and received.claims["aud"] == service.origin
    assert received.public_key == push.vapid_public_key()
    assert 0 < int(received.headers["ttl"]) <= 3600  # useless once an hour late
    delivery = reloaded(delivery)
    assert (delivery.outcome, delivery.status_code, delivery.attempts) == ("sent", 201, 1)
    assert delivery.sent_at is not None
    stored.refresh_from_db()
    assert stored.last_success_at == delivery.sent_at


def test_sending_twice_sends_once(cast: Any, service: FakePushService) -> None:
    browser, _ = subscribe(cast.patient_user, service)
    [delivery] = due_reminder(cast.course)
    notifications.delivery_send(delivery.pk)
    notifications.delivery_send(delivery.pk)
    assert len(service.received_for(browser)) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_service_says_is_gone_is_deleted(
        cast: Any, service: FakePushService, status: int) -> None:
    browser, stored = subscribe(cast.patient_user, service)
    [delivery] = due_reminder(cast.course)
    browser.answer(status)

    assert notifications.delivery_send(delivery.pk) == DeliveryOutcome.GONE

    assert not PushSubscription.objects.filter(pk=stored.pk).exists()
    delivery = reloaded(delivery)
    assert (delivery.outcome, delivery.status_code, delivery.subscription_id) == ("gone", status, None)
    assert delivery.push_service == service.origin


def test_a_reminder_logged_since_the_scan_is_not_sent(cast: Any, service: FakePushService) -> None:
    browser, _ = subscribe(cast.patient_user, service)
    [delivery] = due_reminder(cast.course)
    records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user, course=cast.course,
                          data={"applied_at": delivery.occurrence.due_at, "status": "applied",
                                "skip_reason": ""})

    assert notifications.delivery_send(delivery.pk) == DeliveryOutcome.ALREADY_LOGGED
    assert service.received_for(browser) == []


def test_a_reminder_that_would_arrive_more_than_an_hour_late_is_not_sent(
        cast: Any, service: FakePushService) -> None:
    browser, _ = subscribe(cast.patient_user, service)
    [delivery] = due_reminder(cast.course, minutes_ago=50)

    later = timezone.now() + dt.timedelta(minutes=11)
    assert notifications.delivery_send(delivery.pk, now=later) == DeliveryOutcome.FAILED
    assert service.received_for(browser) == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_or_failing_service_is_tried_again_later_then_given_up(
        cast: Any, service: FakePushService, status: int, tasks_sent: Any) -> None:
    browser, _ = subscribe(cast.nurse, service)
    browser.answer(status)
    [delivery] = send_test_message(cast.nurse)
    now = timezone.now()

    for attempt in range(1, notifications.MAX_ATTEMPTS):
        assert notifications.delivery_send(delivery.pk, now=now) == DeliveryOutcome.PENDING
        delivery = reloaded(delivery)
        assert (delivery.attempts, delivery.status_code, delivery.enqueued_at) == (attempt, status, None)
        wait = (delivery.next_attempt_at - now).total_seconds()
        doubled = notifications.RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        assert doubled / 2 <= wait <= doubled
        # Not before its time, neither by a task nor by the sweeper.
        assert notifications.delivery_send(delivery.pk, now=now) == DeliveryOutcome.PENDING
        assert notifications.deliveries_requeue_pending(now=now) == 0
        now = delivery.next_attempt_at
        assert notifications.deliveries_requeue_pending(now=now) == 1
    assert notifications.delivery_send(delivery.pk, now=now) == DeliveryOutcome.FAILED

    assert len(service.received_for(browser)) == notifications.MAX_ATTEMPTS
    assert reloaded(delivery).attempts == notifications.MAX_ATTEMPTS
    assert notifications.deliveries_requeue_pending(now=now + dt.timedelta(days=1)) == 0
    assert len(tasks_sent[queue.SEND_PUSH]) == notifications.MAX_ATTEMPTS - 1


def test_retry_after_is_honoured(cast: Any, service: FakePushService) -> None:
    browser, _ = subscribe(cast.nurse, service)
    browser.answer(429, retry_after=600)
    [delivery] = send_test_message(cast.nurse)
    now = timezone.now()

    notifications.delivery_send(delivery.pk, now=now)

    assert reloaded(delivery).next_attempt_at == now + dt.timedelta(seconds=600)


def test_a_service_that_cannot_be_reached_is_tried_again(cast: Any, settings: Any,
                                                         service: FakePushService) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings.TEND_PUSH_SERVICES = [service.origin, closed]
    browser = service.new_subscription()
    stored, _ = notifications.subscription_save(
        user=cast.nurse, endpoint=closed + "/push/x", p256dh=browser.p256dh, auth=browser.auth)
    [delivery] = send_test_message(cast.nurse)

    assert notifications.delivery_send(delivery.pk) == DeliveryOutcome.PENDING

    delivery = reloaded(delivery)
    assert (delivery.attempts, delivery.status_code) == (1, None)
    assert delivery.next_attempt_at > timezone.now()
    assert PushSubscription.objects.filter(pk=stored.pk).exists()


def test_an_endpoint_no_longer_allowed_fails_at_once_and_is_never_retried(
        cast: Any, settings: Any, service: FakePushService) -> None:
    subscribe(cast.nurse, service)
    [delivery] = send_test_message(cast.nurse)
    settings.TEND_PUSH_SERVICES = ["https://fcm.googleapis.com"]

    assert notifications.delivery_send(delivery.pk) == DeliveryOutcome.FAILED

    assert service.received == []
    assert notifications.deliveries_requeue_pending(now=timezone.now() + dt.timedelta(days=1)) == 0


def test_the_sweeper_leaves_a_delivery_enqueued_in_the_last_minute(
        cast: Any, service: FakePushService, tasks_sent: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    subscribe(cast.nurse, service)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = send_test_message(cast.nurse)
    assert tasks_sent[queue.SEND_PUSH] == [[str(delivery.pk)]]
    now = timezone.now()

    assert notifications.deliveries_requeue_pending(now=now + dt.timedelta(seconds=30)) == 0
    assert notifications.deliveries_requeue_pending(now=now + dt.timedelta(seconds=61)) == 1
    assert tasks_sent[queue.SEND_PUSH] == [[str(delivery.pk)]] * 2


def test_a_test_message_is_in_the_users_language(cast: Any, service: FakePushService) -> None:
    patient, user = new_patient(cast, "Europe/Madrid", language="es", name="Lucía Gómez")
    new_course(cast, patient)
    carer = caregiver_of(patient)
    for who in (user, carer, cast.nurse):
        subscribe(who, service)

    bodies = {who.pk: send_test_message(who)[0].payload["body"] for who in (user, carer, cast.nurse)}

    assert bodies[user.pk] == bodies[carer.pk] == "Las notificaciones funcionan en este dispositivo."
    assert bodies[cast.nurse.pk] == "Notifications work on this device."
    [delivery] = send_test_message(carer)
    notifications.delivery_send(delivery.pk)
    assert service.received[-1].payload == {"type": "test", "title": "Tend",
                                            "body": bodies[carer.pk], "url": "/"}


# --- A new alert ----------------------------------------------------------------------------------


@pytest.fixture
def team(cast: Any, service: FakePushService) -> dict[str, Subscription]:
    """The care team with an address each and a device each; another patient's team too."""
    browsers = {}
    for name in ("nurse", "physician", "other_nurse"):
        user = cast.user(name)
        user.email = f"{name}@clinic.example"
        user.save(update_fields=["email"])
        browsers[name], _ = subscribe(user, service)
    return browsers


def red_flag(course: TreatmentCourse) -> Alert:
    alert = alerts.alert_raise(course=course, kind=AlertKind.SYMPTOM_RED_FLAG, severity="high",
                               detail="Warning signs reported for Helen Mercer: fever.",
                               facts={"signs": ["fever"]})
    assert alert is not None
    return alert


def test_a_new_alert_is_told_once_when_it_is_committed(
        cast: Any, tasks_sent: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        alert = red_flag(cast.course)
        assert alerts.alert_raise(course=cast.course, kind=AlertKind.SYMPTOM_RED_FLAG,
                                  severity="high", detail="Again.") is None  # the same episode
    assert tasks_sent[queue.NOTIFY_ALERT] == [[str(alert.pk)]]


def test_an_alert_reaches_each_care_team_member_once_by_push_and_e_mail(
        cast: Any, service: FakePushService, team: dict[str, Subscription], settings: Any) -> None:
    settings.TEND_PUBLIC_URL = "https://tend.clinic.example"
    alert = red_flag(cast.course)

    assert notifications.alert_notify(alert.pk) is True
    assert notifications.alert_notify(alert.pk) is True  # told already: nothing more

    deliveries = PushDelivery.objects.filter(alert=alert)
    assert sorted(d.user.username for d in deliveries) == ["nurse", "physician"]
    assert {d.kind for d in deliveries} == {PushKind.ALERT}
    assert sorted(m.to[0] for m in mail.outbox) == ["nurse@clinic.example", "physician@clinic.example"]
    assert EmailNotice.objects.filter(alert=alert, sent_at__isnull=False).count() == 2
    alert.refresh_from_db()
    assert alert.notified_at is not None

    for delivery in deliveries:
        assert notifications.delivery_send(delivery.pk) == DeliveryOutcome.SENT
    assert service.received_for(team["other_nurse"]) == []
    for name in ("nurse", "physician"):
        [received] = service.received_for(team[name])
        assert received.problems == []
        assert received.payload == {"type": "alert", "title": "Tend",
                                    "body": "A patient needs your attention. Open Tend to see.",
                                    "url": "/#/alerts"}
    for message in mail.outbox:
        assert f"https://tend.clinic.example/#/alerts/{alert.pk}" in message.body
        text = f"{message.subject} {message.body}".lower()
        for word in PHI:
            assert word not in text, word


def test_an_e_mail_that_fails_is_tried_again_by_the_sweeper(
        cast: Any, team: dict[str, Subscription], monkeypatch: pytest.MonkeyPatch,
        tasks_sent: Any) -> None:
    alert = red_flag(cast.course)
    real = notifications.send_mail

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise OSError("Connection refused")

    monkeypatch.setattr(notifications, "send_mail", refuse)

    assert notifications.alert_notify(alert.pk) is False
    alert.refresh_from_db()
    assert alert.notified_at is None
    assert PushDelivery.objects.filter(alert=alert).count() == 2  # the pushes go out regardless

    later = timezone.now() + dt.timedelta(minutes=2)
    assert notifications.alerts_notify_unnotified(now=later) == 1
    assert tasks_sent[queue.NOTIFY_ALERT] == [[str(alert.pk)]]
    monkeypatch.setattr(notifications, "send_mail", real)
    assert tasks.notify_alert(str(alert.pk)) is True
    assert len(mail.outbox) == 2
    assert PushDelivery.objects.filter(alert=alert).count() == 2
    assert notifications.alerts_notify_unnotified(now=later) == 0


def test_the_sweeper_waits_a_minute_for_the_alerts_own_task(cast: Any, tasks_sent: Any) -> None:
    red_flag(cast.course)
    assert notifications.alerts_notify_unnotified(now=timezone.now() + dt.timedelta(seconds=30)) == 0
    assert tasks_sent[queue.NOTIFY_ALERT] == []


def test_an_alert_acknowledged_before_anyone_was_told_is_not_told(
        cast: Any, team: dict[str, Subscription]) -> None:
    alert = red_flag(cast.course)
    alerts.alert_acknowledge(alert=alert, by=cast.nurse)
    assert notifications.alert_notify(alert.pk) is True
    assert not PushDelivery.objects.filter(alert=alert).exists() and mail.outbox == []


def test_missed_days_are_told_to_active_caregivers_in_the_patients_language(
        cast: Any, service: FakePushService, team: dict[str, Subscription]) -> None:
    patient = cast.patient
    patient.language = "es"
    patient.save(update_fields=["language"])
    daughter, _ = subscribe(caregiver_of(patient), service)
    former, _ = subscribe(caregiver_of(patient, status=CaregiverStatus.REVOKED), service)
    herself, _ = subscribe(cast.patient_user, service)
    alert = alerts.alert_raise(course=cast.course, kind=AlertKind.NO_LOG, severity="medium",
                               detail="Nothing logged for Helen Mercer on two days.")
    assert alert is not None

    notifications.alert_notify(alert.pk)
    for delivery in PushDelivery.objects.filter(alert=alert):
        notifications.delivery_send(delivery.pk)

    [received] = service.received_for(daughter)
    assert received.problems == []
    assert received.payload == {"type": "missed_days", "title": "Tend", "url": "/",
                                "body": "Un día del tratamiento quedó sin anotar. Abra Tend para verlo."}
    assert service.received_for(former) == [] and service.received_for(herself) == []
    assert len(service.received_for(team["nurse"])) == 1  # and the team as for any alert


def test_no_push_payload_names_the_patient_her_drug_or_her_wound(
        cast: Any, service: FakePushService, team: dict[str, Subscription]) -> None:
    subscribe(cast.patient_user, service)
    subscribe(caregiver_of(cast.patient), service)
    due_reminder(cast.course)
    alert = alerts.alert_raise(course=cast.course, kind=AlertKind.NO_LOG, severity="medium",
                               detail="Nothing logged for Helen Mercer on two days.")
    assert alert is not None
    notifications.alert_notify(alert.pk)
    send_test_message(cast.patient_user)

    deliveries = list(PushDelivery.objects.all())
    assert {d.kind for d in deliveries} == {"reminder", "alert", "missed_days", "test"}
    for delivery in deliveries:
        notifications.delivery_send(delivery.pk)
    assert len(service.received) == len(deliveries)
    for received in service.received:
        text = str(received.payload).lower()
        for word in PHI:
            assert word not in text, (word, received.payload)
