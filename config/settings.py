"""Tend's settings: each environment variable is read once, here; README.md's table lists them."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("TEND_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY", "")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    # A development machine keeps one random key in its data folder, so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tracker",
    "api",
    "frontend",
]

MIDDLEWARE = [
    "api.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "api.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
_default_db = f"sqlite:///{DATA_DIR / 'tend.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside a writer; IMMEDIATE takes the write lock at BEGIN, so two writers
    # queue instead of failing with "database is locked" half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# The database URLs carry passwords, so they live only inside DATABASES, whose PASSWORD Django hides.
_replica_db = env_str("TEND_REPLICA_DATABASE_URL", "")
if _replica_db:
    # A streaming replica of the primary: report rendering reads its course data there
    # (tracker.db.replica_reads), so the weekly batch leaves the primary to the clinic's requests.
    DATABASES["replica"] = dj_database_url.parse(_replica_db, conn_max_age=60, conn_health_checks=True)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["tracker.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tend",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# --- Celery (the app lives in config/celery.py) ---------------------------------------------------
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # Longer than the longest task, so an unacknowledged task is not handed out twice.
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    # kombu's filesystem transport, but each message written whole before a worker can see it.
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    # The embedded broker needs its folders before the first message, from the web or a worker.
    for _folder in ("queue", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_DEFAULT_QUEUE = "tend"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# The longest task (a 48 MP photo, a two-year report) takes seconds; ten minutes is a runaway. It
# stays well under the broker's visibility timeout, so a running task is never handed out twice.
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_TIMEZONE = "UTC"
TEND_WEEKLY_REPORT_DAY = env_str("TEND_WEEKLY_REPORT_DAY", "mon")
TEND_WEEKLY_REPORT_HOUR = env_int("TEND_WEEKLY_REPORT_HOUR", 6, minimum=0)
# How often beat re-enqueues the photos and reports a broker outage or a lost worker left behind.
TEND_SWEEP_INTERVAL_SECONDS = env_int("TEND_SWEEP_INTERVAL_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "purge-expired-credentials": {
        "task": "tracker.tasks.purge_expired_credentials",
        "schedule": 3600.0,
    },
    # Hourly, so that each patient's two missed days are seen soon after her own midnight.
    "check-missed-days": {
        "task": "tracker.tasks.check_missed_days",
        "schedule": 3600.0,
    },
    "weekly-reports": {
        "task": "tracker.tasks.create_weekly_reports",
        "schedule": crontab(
            day_of_week=TEND_WEEKLY_REPORT_DAY,
            hour=TEND_WEEKLY_REPORT_HOUR,
            minute=0,
        ),
    },
    "requeue-stale-reports": {
        "task": "tracker.tasks.requeue_stale_reports",
        "schedule": float(TEND_SWEEP_INTERVAL_SECONDS),
    },
    # Picks up photos a broker outage or a lost worker left in `processing`.
    "requeue-stale-photos": {
        "task": "tracker.tasks.requeue_stale_photos",
        "schedule": float(TEND_SWEEP_INTERVAL_SECONDS),
    },
    # Push messages a 429/5xx left for later, or a broker outage left unsent.
    "requeue-pending-deliveries": {
        "task": "tracker.tasks.requeue_pending_deliveries",
        "schedule": float(TEND_SWEEP_INTERVAL_SECONDS),
    },
    # Alerts whose care team was not told (a broker outage, an e-mail server down).
    "notify-unnotified-alerts": {
        "task": "tracker.tasks.notify_unnotified_alerts",
        "schedule": float(TEND_SWEEP_INTERVAL_SECONDS),
    },
}
# A photo still `processing` this long after it was enqueued is enqueued again. Processing a 48 MP
# photo takes about a second; minutes leave room for a backlog without doubling work.
# Reports: a report still queued this long after it was enqueued, or running this long after it was
# claimed (its worker died), is enqueued again. Paper: "a4" or "letter" (the layout fits both).
TEND_REPORT_STALE_SECONDS = env_int("TEND_REPORT_STALE_SECONDS", 600, minimum=1)
TEND_REPORT_PAPER = env_str("TEND_REPORT_PAPER", "a4").lower()
if TEND_REPORT_PAPER not in ("a4", "letter"):
    raise ImproperlyConfigured("TEND_REPORT_PAPER must be a4 or letter")
# Alert rules (tracker/services/alert_rules.py).
TEND_MISSED_DAYS = env_int("TEND_MISSED_DAYS", 2, minimum=1)
TEND_PAIN_RISE_POINTS = env_int("TEND_PAIN_RISE_POINTS", 3, minimum=1)
# Pain this high alerts whatever the days before: near the top of the scale no rise can show.
TEND_PAIN_HIGH_SCORE = env_int("TEND_PAIN_HIGH_SCORE", 8, minimum=1)
if TEND_PAIN_HIGH_SCORE > 10:
    raise ImproperlyConfigured("TEND_PAIN_HIGH_SCORE is a pain score, 1 to 10")
# Consecutive expected days with no application, skipped or nothing logged.
TEND_MISSED_APPLICATIONS_DAYS = env_int("TEND_MISSED_APPLICATIONS_DAYS", 3, minimum=1)
TEND_HEALING_CHECKPOINT_WEEK = env_int("TEND_HEALING_CHECKPOINT_WEEK", 4, minimum=1)
TEND_HEALING_CHECKPOINT_PERCENT = env_int("TEND_HEALING_CHECKPOINT_PERCENT", 40, minimum=1)
# The checkpoint reads the measurement nearest its day within this many days either side.
TEND_HEALING_CHECKPOINT_WINDOW_DAYS = env_int("TEND_HEALING_CHECKPOINT_WINDOW_DAYS", 7, minimum=0)
TEND_PHOTO_MAX_ATTEMPTS = env_int("TEND_PHOTO_MAX_ATTEMPTS", 8, minimum=1)
TEND_PHOTO_REQUEUE_AFTER_SECONDS = env_int("TEND_PHOTO_REQUEUE_AFTER_SECONDS", 300, minimum=1)

# --- Reaching people: Web Push, e-mail, the care team's phone -----------------------------------
# VAPID (RFC 8292): the PEM of the server's P-256 key and whom a push service may contact. In debug
# both are made once and kept in TEND_DATA_DIR (tracker/push.py); with debug off and no key, push
# is off and `check --deploy` says so.
TEND_VAPID_PRIVATE_KEY = env_str("TEND_VAPID_PRIVATE_KEY", "")
TEND_VAPID_SUBJECT = env_str("TEND_VAPID_SUBJECT", "mailto:care@tend.invalid" if DEBUG else "")
# The push services a subscription may point at: origins, "*." allowed at the start of the host.
# A loopback, link-local or private address is refused unless an entry names its origin exactly.
TEND_PUSH_SERVICES = env_list("TEND_PUSH_SERVICES", [
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://*.push.apple.com",
    "https://*.notify.windows.com",
])
TEND_REMINDER_INTERVAL_SECONDS = env_int("TEND_REMINDER_INTERVAL_SECONDS", 60, minimum=1)
# Beat looks for the reminders whose wall-clock time has come, in each patient's zone.
CELERY_BEAT_SCHEDULE["scan-due-reminders"] = {
    "task": "tracker.tasks.scan_due_reminders",
    "schedule": float(TEND_REMINDER_INTERVAL_SECONDS),
}
# A reminder found later than this after its time is dropped: a reminder at 20:00 that arrives at
# 23:30 wakes her and no longer helps.
TEND_REMINDER_LATE_MINUTES = env_int("TEND_REMINDER_LATE_MINUTES", 60, minimum=1)
# Where links in e-mails point (the PWA's address); no patient detail is ever in an e-mail.
TEND_PUBLIC_URL = env_str("TEND_PUBLIC_URL", "http://localhost:8000" if DEBUG else "").rstrip("/")
# The number the "call your care team now" card offers when the team cannot be reached.
TEND_EMERGENCY_NUMBER = env_str("TEND_EMERGENCY_NUMBER", "911")
EMAIL_BACKEND = env_str(
    "TEND_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("TEND_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("TEND_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("TEND_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("TEND_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("TEND_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("TEND_EMAIL_FROM", "Tend <no-reply@tend.invalid>")

# --- Authentication and passwords -----------------------------------------------------------------
AUTH_USER_MODEL = "tracker.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Staff sessions and tokens: 30 minutes idle, 12 hours in all. A patient on her own phone stays
# signed in up to 30 days: short timeouts lock out elderly users (WCAG 2.2.1, timing adjustable).
TEND_STAFF_IDLE_SECONDS = env_int("TEND_STAFF_IDLE_SECONDS", 30 * 60, minimum=60)
TEND_STAFF_MAX_SECONDS = env_int("TEND_STAFF_MAX_SECONDS", 12 * 3600, minimum=60)
TEND_PATIENT_MAX_SECONDS = env_int("TEND_PATIENT_MAX_SECONDS", 30 * 86400, minimum=60)
TEND_LOGIN_MAX_FAILURES = env_int("TEND_LOGIN_MAX_FAILURES", 5, minimum=1)
TEND_LOGIN_WINDOW_SECONDS = env_int("TEND_LOGIN_WINDOW_SECONDS", 15 * 60, minimum=1)
TEND_ACTIVATION_DAYS = env_int("TEND_ACTIVATION_DAYS", 14, minimum=1)
# A device clock may run a little fast; beyond this a time "in the future" is refused.
TEND_FUTURE_TOLERANCE_SECONDS = env_int("TEND_FUTURE_TOLERANCE_SECONDS", 600, minimum=0)
# JSON bodies are small; photos (multipart) have their own, larger cap.
TEND_MAX_JSON_BYTES = env_int("TEND_MAX_JSON_BYTES", 256 * 1024, minimum=1024)
TEND_MAX_UPLOAD_BYTES = env_int("TEND_MAX_UPLOAD_BYTES", 25 * 1024 * 1024, minimum=1024)
TEND_TRUSTED_PROXY_COUNT = env_int("TEND_TRUSTED_PROXY_COUNT", 0, minimum=0)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = TEND_PATIENT_MAX_SECONDS
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# --- Production behind a TLS-terminating proxy ----------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer probes over plain HTTP
    SECURE_HSTS_SECONDS = 365 * 86400
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Files ----------------------------------------------------------------------------------------
# Photos live in private storage: no MEDIA_URL serves them; only authorized views stream them.
# An S3-compatible store is a settings change: point "private" at storages.backends.s3.S3Storage.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "private"), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
TEND_S3_BUCKET = env_str("TEND_S3_BUCKET", "")
TEND_S3_ENDPOINT_URL = env_str("TEND_S3_ENDPOINT_URL", "")
if TEND_S3_BUCKET:
    # The same private files on an S3-compatible store (pip install "django-storages[s3]"): no
    # public ACL, and never a public URL, since Tend streams every file through an authorized view.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": TEND_S3_BUCKET,
            "endpoint_url": TEND_S3_ENDPOINT_URL or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = DEBUG

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "api.authentication.CsrfSessionAuthentication",
    ],
    # Signed in, then the role check each endpoint declares (api/permissions.py).
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated",
                                   "api.permissions.RoleAllows"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Tags, summaries and every problem-details answer, from each operation's path and action.
    "DEFAULT_SCHEMA_CLASS": "api.schema.TendAutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tend API",
    "DESCRIPTION": "Treatment-course tracker for chronic wounds. Errors are RFC 9457 problem details.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One tag per resource (api/schema.py derives each operation's from its path), in this order.
    "TAGS": [
        {"name": "auth", "description": "Signing in and out: bearer tokens, the PWA's session."},
        {"name": "me", "description": "The signed-in user."},
        {"name": "patients", "description": "Patients, their care team and activation."},
        {"name": "staff", "description": "Staff accounts: administrators manage them."},
        {"name": "courses", "description": "Treatment courses: prescription, changes, adherence."},
        {"name": "applications", "description": "Each application of the drug, or a skip."},
        {"name": "symptoms", "description": "Pain, itch and the warning signs."},
        {"name": "debridements", "description": "Debridements done in clinic."},
        {"name": "photos", "description": "Wound photos: upload, private serving, corrections."},
        {"name": "reviews", "description": "Nurses' and physicians' measurements of a photo."},
        {"name": "review-queue", "description": "Ready photos nobody has reviewed yet."},
        {"name": "reports", "description": "Progress reports (PDF)."},
        {"name": "alerts", "description": "What the care team must look at."},
        {"name": "audit-events", "description": "Who read or changed what."},
        {"name": "caregivers", "description": "People who help a patient, with her own access."},
        {"name": "push", "description": "Web Push: the server's key, a user's own devices."},
    ],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "tracker.models.Role",
        "LanguageEnum": "tracker.models.Language",
        "StaffRoleEnum": ["nurse", "physician"],
        "CaregiverStatusEnum": "tracker.models.CaregiverStatus",
        "DeliveryOutcomeEnum": "tracker.models.DeliveryOutcome",
        "PushKindEnum": "tracker.models.PushKind",
    },
}

# --- Logging: request paths carry ids only; bodies and names are never logged ---------------------
TEND_LOG_LEVEL = env_str("TEND_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": TEND_LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own console handler (debug only) printed each django.* line a second time,
        # unformatted, beside the root's: one handler, the root's. django.server keeps its own.
        "django": {"handlers": [], "level": TEND_LOG_LEVEL, "propagate": True},
        # "Watching for file changes" at every start of the development server.
        "django.utils.autoreload": {"level": "WARNING"},
        # The embedded broker's URL has no host, which it does not need: kombu warns that it
        # "reverts to localhost" at every connection. With Redis the warning stays: it would mean
        # REDIS_URL lacks its host.
        **({} if REDIS_URL else {"kombu.connection": {"level": "ERROR"}}),
    },
}
CSRF_FAILURE_VIEW = "api.problems.csrf_failure"
