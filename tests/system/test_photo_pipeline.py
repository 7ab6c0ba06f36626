"""The photo pipeline end to end with a real web server, a real Celery worker (with its embedded beat)
and a real Redis, each a subprocess this module starts, stops and kills at will.

The Redis is this module's own (a free port, no persistence), never the shared one on 6379, so it can
be stopped mid-test. The web server and the worker join this run's test database, data folder and
queue through the environment. The sweeper runs every second and treats a photo as stale after two,
so recovery is quick to observe.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from tests import images
from tests.conftest import PASSWORD, make_course, make_patient, make_staff
from tests.processes import Process, run_env, tail, wait_until
from tracker.models import Photo, PhotoStatus, Role, TreatmentCourse

pytestmark = pytest.mark.django_db(transaction=True)

BIN = Path(sys.executable).parent
READY_WITHIN = 60.0

# If pytest itself is killed (a timeout, SIGKILL), its finalizers do not run. This watchdog, in its
# own session, then kills every process group listed in the registry, so nothing outlives the run.
WATCHDOG_REGISTRY = "process-groups"
WATCHDOG = """
import os, signal, sys, time
parent, registry = int(sys.argv[1]), sys.argv[2]
while os.getppid() == parent:
    time.sleep(0.5)
with open(registry) as listed:
    for line in listed.read().split():
        try:
            os.killpg(int(line), signal.SIGKILL)
        except (OSError, ValueError):
            pass
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service(Process):
    """A process of the stack, listed for the watchdog."""

    stop_timeout = 10.0

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        super().__init__(argv, log, env=env)
        with (log.parent / WATCHDOG_REGISTRY).open("a") as registry:
            registry.write(f"{self.pid}\n")

    def children(self) -> set[int]:
        found: set[int] = set()
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            try:
                found.update(int(pid) for pid in (task / "children").read_text().split())
            except OSError:
                pass
        return found


class PrivateRedis:
    def __init__(self, log_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = log_dir / "redis.log"
        self.service: Service | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no"]
        self.service = Service("redis", argv, dict(os.environ), self.log)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_until(lambda: self._ping(client), timeout=10, what="Redis to answer", logs=(self.log,),
                    every=0.05)

    @staticmethod
    def _ping(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1)


class Stack:
    """This run's private Redis, the web server and the current worker."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        (log_dir / WATCHDOG_REGISTRY).touch()
        self.watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, str(os.getpid()),
                                          str(log_dir / WATCHDOG_REGISTRY)], start_new_session=True)
        self.redis = PrivateRedis(log_dir)
        self.web: Service | None = None
        self.worker: Service | None = None
        self.workers_started = 0
        self.web_port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"

    def env(self) -> dict[str, str]:
        # This run's database and data folder, but the private Redis that the test stops at will.
        return run_env(REDIS_URL=self.redis.url, TEND_SWEEP_INTERVAL_SECONDS="1",
                       TEND_PHOTO_REQUEUE_AFTER_SECONDS="2", PYTHONUNBUFFERED="1")

    def start_web(self) -> None:
        argv = [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks",
                f"127.0.0.1:{self.web_port}"]
        self.web = Service("web", argv, self.env(), self.log_dir / "web.log")
        wait_until(lambda: self._answers("/healthz"), timeout=30, what="the web server",
                    logs=(self.web.log,))

    def _answers(self, path: str) -> bool:
        assert self.web is not None and self.web.alive(), tail(self.web.log)
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=2) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start_worker(self) -> Service:
        self.workers_started += 1
        number = self.workers_started
        log = self.log_dir / f"worker-{number}.log"
        argv = [str(BIN / "celery"), "-A", "config", "worker", "--beat", "--concurrency=1",
                "--loglevel=INFO", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE,
                "--schedule", str(self.log_dir / f"beat-schedule-{number}"),
                "--without-mingle", "--without-gossip"]
        self.worker = Service(f"worker-{number}", argv, self.env(), log)
        wait_until(lambda: " ready." in log.read_text(errors="replace") or not self.worker.alive(),
                    timeout=45, what="the worker", logs=(log,))
        assert self.worker.alive(), tail(log)
        return self.worker

    def logs(self) -> tuple[Path, ...]:
        return tuple(sorted(self.log_dir.glob("*.log")))

    def close(self) -> None:
        """Kill outright: a warm shutdown would wait for the task a worker is on."""
        for service in (self.worker, self.web):
            if service is not None:
                service.kill_group()
        self.redis.stop()
        self.watchdog.kill()
        self.watchdog.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("pipeline"))
    try:
        stack.redis.start()
        stack.start_web()
        stack.start_worker()
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="module")
def large_jpeg() -> bytes:
    """A 48-megapixel phone photo: its processing takes seconds, time enough to kill a worker."""
    return images.phone_jpeg(8000, 6000)


# --- HTTP, as an outside client ---------------------------------------------------------------------

def _multipart(fields: dict[str, str], name: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
             for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                 f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _http(stack: Stack, method: str, path: str, *, token: str | None = None, body: bytes | None = None,
          content_type: str = "application/json", timeout: float = 60) -> tuple[int, Any]:
    request = urllib.request.Request(stack.base_url + path, data=body, method=method)  # noqa: S310
    if body is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


class Patient:
    def __init__(self, stack: Stack, course: TreatmentCourse, token: str) -> None:
        self.stack, self.course, self.token = stack, course, token

    def upload(self, data: bytes) -> tuple[int, Any, float]:
        body, content_type = _multipart(
            {"course": str(self.course.pk), "taken_at": timezone.now().isoformat()},
            "image", "wound.jpg", data)
        started = time.monotonic()
        status, payload = _http(self.stack, "POST", "/api/v1/photos/", token=self.token, body=body,
                                content_type=content_type)
        return status, payload, time.monotonic() - started

    def photo(self, photo_id: str) -> dict[str, Any]:
        status, payload = _http(self.stack, "GET", f"/api/v1/photos/{photo_id}/", token=self.token)
        assert status == 200, payload
        return payload

    def wait_until_ready(self, photo_id: str) -> dict[str, Any]:
        return wait_until(lambda: (p := self.photo(photo_id))["status"] == PhotoStatus.READY and p,
                           timeout=READY_WITHIN, what=f"photo {photo_id} to be ready",
                           logs=self.stack.logs(), every=0.25)


@pytest.fixture
def patient(stack: Stack, transactional_db: None) -> Patient:
    """Helen, on her own active course, signed in over HTTP with a bearer token (Redis is up)."""
    physician = make_staff("physician", Role.PHYSICIAN)
    nurse = make_staff("nurse", Role.NURSE)
    helen, _ = make_patient(name="Helen Mercer", username="helen", tz="America/Denver",
                            team=[physician, nurse])
    course = make_course(helen, physician)
    status, payload = _http(stack, "POST", "/api/v1/auth/token/",
                            body=json.dumps({"username": "helen", "password": PASSWORD}).encode())
    assert status == 200, payload
    return Patient(stack, course, payload["token"])


def _row(photo_id: str) -> Photo:
    return Photo.objects.get(pk=photo_id)


def _started(photo_id: str) -> bool:
    """A worker is on it: the task has counted its attempt and not finished."""
    row = _row(photo_id)
    return row.attempts >= 1 and row.status == PhotoStatus.PROCESSING


def _pool_process_running(stack: Stack, photo_id: str) -> int:
    """The pid of the worker's pool process that runs this photo's task, from the worker itself."""
    control = Celery("pipeline-test", broker=stack.redis.url, set_as_current=False)
    control.conf.accept_content = ["json"]
    try:
        active = control.control.inspect(timeout=3.0, limit=1).active() or {}
    finally:
        control.close()
    pids = [task["worker_pid"] for tasks in active.values() for task in tasks
            if photo_id in str(task.get("args"))]
    assert pids, f"no active task for the photo: {active}"
    return pids[0]


# --- The behaviours --------------------------------------------------------------------------------

def test_an_upload_becomes_ready_through_the_real_worker(stack: Stack, patient: Patient) -> None:
    status, payload, _ = patient.upload(images.phone_jpeg(1200, 900))
    assert status == 202, payload
    assert payload["status"] == PhotoStatus.PROCESSING

    ready = patient.wait_until_ready(payload["id"])

    assert (ready["width"], ready["height"]) == (1200, 900)
    row = _row(payload["id"])
    assert row.upload_name == "" and not default_storage.exists(f"photos/{row.pk}/upload.bin")
    assert default_storage.exists(row.image_name) and default_storage.exists(row.thumbnail_name)
    served = default_storage.open(row.image_name).read()
    assert images.GPS_MARKER.encode() not in served and images.XMP_MARKER not in served


def test_an_upload_made_while_redis_is_down_becomes_ready_once_it_is_back(
        stack: Stack, patient: Patient) -> None:
    worker_pid = stack.worker.pid
    stack.redis.stop()
    try:
        status, payload, took = patient.upload(images.phone_jpeg(1200, 900))
        assert status == 202, payload
        assert took < 10, f"the upload took {took:.1f} s with the broker down"
        photo_id = payload["id"]
        assert payload["status"] == PhotoStatus.PROCESSING
        assert _row(photo_id).enqueued_at is None  # the enqueue failed; only the sweeper can help
        time.sleep(2)  # longer than the requeue delay: nothing can move while the broker is down
        assert patient.photo(photo_id)["status"] == PhotoStatus.PROCESSING
    finally:
        stack.redis.start()  # the same port

    # No further request: the worker reconnects by itself, and its beat's sweeper re-enqueues.
    wait_until(lambda: _row(photo_id).status == PhotoStatus.READY, timeout=READY_WITHIN,
                what="the photo to be ready after Redis came back", logs=stack.logs())
    assert patient.photo(photo_id)["status"] == PhotoStatus.READY
    assert _row(photo_id).enqueued_at is not None
    assert stack.worker.alive() and stack.worker.pid == worker_pid


def test_a_pool_process_killed_mid_task_leaves_no_photo_stuck(
        stack: Stack, patient: Patient, large_jpeg: bytes) -> None:
    worker = stack.worker
    status, payload, _ = patient.upload(large_jpeg)
    assert status == 202, payload
    photo_id = payload["id"]
    wait_until(lambda: _started(photo_id), timeout=30, what="the task to start", logs=stack.logs(),
                every=0.05)

    child = _pool_process_running(stack, photo_id)
    assert child in worker.children()
    os.kill(child, signal.SIGKILL)
    assert _row(photo_id).status == PhotoStatus.PROCESSING  # killed mid-task, not after

    ready = patient.wait_until_ready(photo_id)
    assert (ready["width"], ready["height"]) == (4096, 3072)
    assert _row(photo_id).attempts >= 2  # it ran again after the kill
    assert worker.alive() and child not in worker.children()


def test_a_whole_worker_killed_mid_task_leaves_no_photo_stuck(
        stack: Stack, patient: Patient, large_jpeg: bytes) -> None:
    status, payload, _ = patient.upload(large_jpeg)
    assert status == 202, payload
    photo_id = payload["id"]
    wait_until(lambda: _started(photo_id), timeout=30, what="the task to start", logs=stack.logs(),
                every=0.05)

    stack.worker.kill_group()  # the main process, its pool and its beat: as if the machine died
    assert _row(photo_id).status == PhotoStatus.PROCESSING
    # The lost task's message would come back only after the visibility timeout (an hour), and the
    # sweeper may have queued copies before the kill: drop every message, so that only the new
    # worker's sweeper can bring the photo back.
    stack.redis.client().flushall()
    killed_at = timezone.now()
    time.sleep(0.5)
    assert _row(photo_id).status == PhotoStatus.PROCESSING

    stack.start_worker()

    ready = patient.wait_until_ready(photo_id)
    assert (ready["width"], ready["height"]) == (4096, 3072)
    assert _row(photo_id).enqueued_at > killed_at
