"""Test settings: the real services (PostgreSQL, Redis), each run isolated from any other.

A run gets its own database (pytest-django adds the test_ prefix, and xdist a worker suffix), its own
Redis database number and key prefix, and its own Celery queue, so two runs on one machine never
trample each other. A Celery worker that a test starts inherits TEND_TEST_RUN_ID to join the run.
"""

import os
import tempfile
import uuid
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-" + "k" * 60)
# One id per run, and per xdist worker within a run: each gets its own database, cache prefix and
# Celery queue, so a worker process started by one test never takes another's tasks.
_run = os.environ.get("TEND_TEST_RUN_ID") or uuid.uuid4().hex[:10]
_xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist and not _run.endswith(f"_{_xdist}"):
    _run = f"{_run}_{_xdist}"
os.environ["TEND_TEST_RUN_ID"] = _run
# Files a test writes (private storage, static) go to a folder of this run, never to ./var.
os.environ.setdefault("TEND_DATA_DIR", tempfile.mkdtemp(prefix="tend-test-"))
(Path(os.environ["TEND_DATA_DIR"]) / "static").mkdir(parents=True, exist_ok=True)
if "TEND_VAPID_PRIVATE_KEY" not in os.environ:
    # A Web Push key of this run's own, inherited by the workers a test starts.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    os.environ["TEND_VAPID_PRIVATE_KEY"] = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
os.environ.setdefault("TEND_VAPID_SUBJECT", "mailto:tests@tend.invalid")
os.environ.setdefault(
    "REDIS_URL", os.environ.get("TEND_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
)

from config.settings import *  # noqa: E402,F403
from config.settings import CACHES, DATABASES, REDIS_URL  # noqa: E402

TEST_RUN_ID = os.environ["TEND_TEST_RUN_ID"]

if "DATABASE_URL" not in os.environ:
    import dj_database_url

    DATABASES["default"] = dj_database_url.parse(
        os.environ.get("TEND_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        conn_max_age=0,
    )
    DATABASES["default"]["NAME"] = f"tend_{TEST_RUN_ID}"
    DATABASES["default"]["TEST"] = {"NAME": f"test_tend_{TEST_RUN_ID}"}

CACHES["default"]["KEY_PREFIX"] = f"tend-test-{TEST_RUN_ID}"
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = f"tend-test-{TEST_RUN_ID}"

# Argon2 is what production hashes with (a test checks the setting); tests hash fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
