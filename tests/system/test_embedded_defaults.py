"""`make run` needs nothing but python: with no DATABASE_URL and no REDIS_URL, Tend runs on SQLite and
an embedded (filesystem) broker, and a worker runs tasks from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.processes import BASE_DIR, CeleryWorker, wait_until
from tests.pushservice import FakePushService

PYTHON = sys.executable


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a fresh machine running `make run`: debug on, nothing configured."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DATABASE_URL", "REDIS_URL", "TEND_", "DJANGO_", "CELERY_"))}
    env.update({"DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings",
                "TEND_DATA_DIR": str(tmp_path / "var"), "PYTHONUNBUFFERED": "1"})
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 60) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def shell(env: dict[str, str], code: str, timeout: float = 60) -> str:
    return manage(env, "shell", "-c", textwrap.dedent(code), timeout=timeout)


@pytest.fixture
def worker(embedded_env: dict[str, str], tmp_path: Path) -> Any:
    # The embedded broker has one default queue; no test-run queue applies here.
    running = CeleryWorker(tmp_path / "worker.log", env=embedded_env, queue="")
    try:
        yield running.popen, running.log
    finally:
        running.stop()


ENQUEUE = """
    import datetime as dt
    from django.db import connection
    from django.utils import timezone
    from config.celery import app
    from tracker.models import ApiToken, User
    from tracker.tasks import purge_expired_credentials

    assert connection.vendor == "sqlite", connection.vendor
    assert app.conf.broker_url.startswith("filesystem://"), app.conf.broker_url
    helen = User.objects.get(username="helen")
    now = timezone.now()
    ApiToken.objects.create(user=helen, key_hash="expired".ljust(64, "0"),
                            expires_at=now - dt.timedelta(minutes=1))
    ApiToken.objects.create(user=helen, key_hash="live".ljust(64, "0"),
                            expires_at=now + dt.timedelta(days=1))
    purge_expired_credentials.delay()
    print("enqueued")
"""

# One process polls (a new `manage.py shell` per poll would cost a second each).
WAIT_AND_CHECK = """
    import json, time
    from django.test import Client
    from tracker.models import ApiToken

    deadline = time.monotonic() + 40
    while ApiToken.objects.filter(key_hash="expired".ljust(64, "0")).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(0.25)
    health = Client().get("/healthz", HTTP_HOST="localhost")
    print(json.dumps({
        "expired": ApiToken.objects.filter(key_hash="expired".ljust(64, "0")).count(),
        "live": ApiToken.objects.filter(key_hash="live".ljust(64, "0")).count(),
        "health_status": health.status_code,
        "health": health.json(),
    }))
"""


def test_the_embedded_default_migrates_seeds_and_runs_a_task_with_nothing_but_python(
        embedded_env, worker, tmp_path):
    process, log = worker
    data_dir = Path(embedded_env["TEND_DATA_DIR"])

    manage(embedded_env, "migrate", "--noinput")
    seeded = manage(embedded_env, "seed_demo")
    assert "helen" in seeded and "dr.alvarez" in seeded
    assert (data_dir / "tend.sqlite3").exists()

    assert "enqueued" in shell(embedded_env, ENQUEUE)
    result = json.loads(shell(embedded_env, WAIT_AND_CHECK).strip().splitlines()[-1])

    assert process.poll() is None, log.read_text()
    assert result["expired"] == 0, "the worker did not run the task:\n" + log.read_text()
    assert result["live"] == 1
    assert result["health_status"] == 200, result
    assert result["health"] == {"database": "ok", "broker": "ok"}
    assert "purge_expired_credentials" in log.read_text()
    assert (data_dir / "broker").is_dir()



REMIND = """
    import datetime as dt
    from django.db import connection
    from django.utils import timezone
    from tracker import clock
    from tracker.models import ReminderTime, TreatmentCourse, User
    from tracker.services import notifications, reminders

    assert connection.vendor == "sqlite", connection.vendor
    helen = User.objects.get(username="helen")
    course = TreatmentCourse.objects.get(patient__user=helen)
    reminders.reminders_set(course=course, enabled=True, times=[dt.time(20)], by=helen)
    notifications.subscription_save(user=helen, **SUBSCRIPTION)
    # As if her 20:00 had come a minute ago, today (the demo has logged up to yesterday).
    ReminderTime.objects.filter(course=course).update(
        next_due_at=timezone.now() - dt.timedelta(minutes=1),
        next_local_date=clock.today_in(course.patient.timezone))
    print("handled", reminders.reminders_due_scan())
    print("again", reminders.reminders_due_scan())
"""


def test_the_embedded_default_sends_a_reminder_through_its_worker(embedded_env, tmp_path):
    """`make run`'s SQLite and filesystem broker: beat's scan claims the reminder once, and the
    worker encrypts and sends it to her push service (here, one on 127.0.0.1 named exactly)."""
    with FakePushService() as service:
        subscription = service.new_subscription()
        env = embedded_env | {"TEND_PUSH_SERVICES": service.origin,
                              # The key the fake service checks the VAPID signature against.
                              "TEND_VAPID_PRIVATE_KEY": os.environ["TEND_VAPID_PRIVATE_KEY"],
                              "TEND_VAPID_SUBJECT": "mailto:tests@tend.invalid"}
        running = CeleryWorker(tmp_path / "worker.log", env=env, queue="")
        try:
            manage(env, "migrate", "--noinput")
            manage(env, "seed_demo")
            code = REMIND.replace("**SUBSCRIPTION", "**" + repr(subscription.send_args()))
            out = shell(env, code)
            assert "handled 1" in out and "again 0" in out, out
            wait_until(lambda: service.received, timeout=40, what="the worker sent the reminder",
                       log=running.log)
        finally:
            running.stop()
    received, = service.received
    assert received.status == 201 and not received.problems, received.problems
    assert received.payload["type"] == "reminder"
    assert "thiosulfate" not in json.dumps(received.payload).lower()
