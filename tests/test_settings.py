"""Settings from the environment, production hardening, and the demo seed command.

Every variable the code reads is read once, in config/settings.py, and named in the README's table.

The production checks run `config.settings` (not the test settings) in a subprocess, with a clean
environment and a temporary TEND_DATA_DIR, exactly as a deployment would.
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from config.env import env_bool, env_int, env_list
from tracker import clock
from tracker.models import (
    Application,
    CareTeamMembership,
    Debridement,
    Patient,
    Photo,
    Report,
    Role,
    SymptomEntry,
    TreatmentCourse,
    User,
)

BASE_DIR = Path(settings.BASE_DIR)
_OURS = ("DJANGO_", "TEND_", "DATABASE_URL", "REDIS_URL", "CELERY_")


def production_env(data_dir: Path, **overrides: str | None) -> dict[str, str]:
    """A deployment's environment: DEBUG off, a real secret, named hosts; no test leftovers."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(_OURS)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="tend.example.org",
        TEND_DATA_DIR=str(data_dir),
        # Web Push on: the run's own key (config/settings_test.py makes one).
        TEND_VAPID_PRIVATE_KEY=os.environ["TEND_VAPID_PRIVATE_KEY"],
        TEND_VAPID_SUBJECT="mailto:care@clinic.example.org",
        TEND_PUBLIC_URL="https://tend.example.org",
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_says_when_web_push_is_off(tmp_path):
    """Without a VAPID key Tend runs, without reminders: the check says so, as information."""
    env = production_env(tmp_path, TEND_VAPID_PRIVATE_KEY=None, TEND_VAPID_SUBJECT=None)
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tend.I001" in result.stdout + result.stderr


def test_check_deploy_would_catch_a_weak_secret(tmp_path):
    # The passing run above means something only if the check looks at what we set.
    env = production_env(tmp_path, DJANGO_SECRET_KEY="short")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


@pytest.mark.parametrize("secret", [None, ""])
def test_production_without_a_secret_key_fails_loudly(tmp_path, secret):
    result = run(["manage.py", "check"], production_env(tmp_path, DJANGO_SECRET_KEY=secret))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("value", ["maybe", "2", "debug"])
def test_a_debug_value_that_is_not_a_boolean_fails_loudly(tmp_path, value):
    result = run(["manage.py", "check"], production_env(tmp_path, DJANGO_DEBUG=value))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"DJANGO_DEBUG must be true or false, not {value!r}" in result.stderr


def test_debug_without_a_secret_key_keeps_one_in_the_data_folder(tmp_path):
    env = production_env(tmp_path, DJANGO_DEBUG="1", DJANGO_SECRET_KEY=None,
                         DJANGO_ALLOWED_HOSTS=None)
    script = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    first, second = run(["-c", script], env), run(["-c", script], env)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50
    assert second.stdout.strip() == key
    assert (tmp_path / "secret_key").read_text().strip() == key


_DUMP = """
import json, django
django.setup()
from django.conf import settings
from django.contrib.auth.hashers import make_password
print(json.dumps({
    "hashers": settings.PASSWORD_HASHERS,
    "hash": make_password("correct-horse-battery-staple"),
    "proxy": list(settings.SECURE_PROXY_SSL_HEADER),
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "db": settings.DATABASES["default"]["ENGINE"],
    "broker": settings.CELERY_BROKER_URL,
    "validators": [v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS],
}))
"""


@pytest.fixture
def production(tmp_path: Path) -> dict[str, Any]:
    result = run(["-c", _DUMP], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_hashes_passwords_with_argon2id(production):
    assert production["hashers"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert production["hash"].startswith("argon2$argon2id$")


def test_production_is_hardened_behind_a_tls_proxy(production):
    assert production["debug"] is False
    assert production["hosts"] == ["tend.example.org"]
    assert production["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["ssl_redirect"] is True
    assert production["session_secure"] is True and production["csrf_secure"] is True
    assert production["hsts"] >= 365 * 86400


def test_the_default_needs_no_database_server_and_no_broker_server(production):
    assert production["db"] == "django.db.backends.sqlite3"
    assert production["broker"] == "filesystem://"


def test_a_replica_url_adds_a_read_replica_that_tests_mirror(tmp_path):
    dump = ("import django, json; django.setup(); from django.conf import settings; "
            "print(json.dumps({k: settings.DATABASES[k].get('HOST') for k in settings.DATABASES} "
            "| {'mirror': settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR')}))")
    without = run(["-c", dump], production_env(tmp_path))
    assert without.returncode == 0, without.stderr
    assert "replica" not in json.loads(without.stdout)
    env = production_env(tmp_path, DATABASE_URL="postgres://tend@primary.internal:5432/tend",
                         TEND_REPLICA_DATABASE_URL="postgres://tend@replica.internal:5432/tend")
    found = run(["-c", dump], env)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == {"default": "primary.internal", "replica": "replica.internal",
                                        "mirror": "default"}


def test_the_wsgi_application_loads_its_views_and_freezes_them_out_of_the_collector(tmp_path):
    check = ("import gc, sys; import config.wsgi; "
             "print(gc.get_freeze_count() > 50_000, 'api.views.records' in sys.modules)")
    result = run(["-c", check], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_django_password_validators_are_on(production):
    assert production["validators"] == ["UserAttributeSimilarityValidator", "MinimumLengthValidator",
                                        "CommonPasswordValidator", "NumericPasswordValidator"]


@pytest.fixture
def ssl_redirect(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True  # as in production; the test settings turn it off


def test_x_forwarded_proto_https_is_honoured(db, ssl_redirect):
    plain = APIClient().get("/api/v1/me/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/api/v1/me/"
    proxied = APIClient().get("/api/v1/me/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 401  # served, not redirected: the proxy said it was https
    assert proxied["Strict-Transport-Security"].startswith(f"max-age={365 * 86400}")


def test_another_forwarded_proto_is_not_trusted_as_https(db, ssl_redirect):
    response = APIClient().get("/api/v1/me/", HTTP_X_FORWARDED_PROTO="http")
    assert response.status_code == 301


def test_the_health_probe_is_not_redirected(db, ssl_redirect):
    assert APIClient().get("/healthz").status_code in (200, 503)


# --- config/env.py --------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "expected"), [
    ("1", True), ("true", True), (" Yes ", True), ("ON", True),
    ("0", False), ("false", False), ("no", False), ("off", False), ("", False),
])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("TEND_SOME_FLAG", raw)
    assert env_bool("TEND_SOME_FLAG", not expected) is expected


def test_env_bool_default_applies_only_when_unset(monkeypatch):
    monkeypatch.delenv("TEND_SOME_FLAG", raising=False)
    assert env_bool("TEND_SOME_FLAG", True) is True


@pytest.mark.parametrize(("raw", "minimum", "message"), [
    ("ten", None, "must be a whole number"),
    ("1.5", None, "must be a whole number"),
    ("5", 60, "must be at least 60"),
])
def test_env_int_fails_loudly(monkeypatch, raw, minimum, message):
    monkeypatch.setenv("TEND_SOME_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_int("TEND_SOME_NUMBER", 1, minimum=minimum)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("TEND_SOME_LIST", " a.example , b.example,, ")
    assert env_list("TEND_SOME_LIST", ["x"]) == ["a.example", "b.example"]


# --- Every variable is read once, into a setting, and the README's table names it ----------------
_HELPERS = {"env_str", "env_bool", "env_int", "env_list"}
# The test and bench settings read their own variables (TEND_TEST_*, TEND_BENCH_RUN_ID), documented
# beside the test run and the benchmarks; a deployment never sets them.
_NOT_RUNTIME = {"settings_test.py", "settings_bench.py"}
_TABLE_NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")
_TABLE_NAMES = re.compile(r"`[A-Z][A-Z0-9_]*`(, `[A-Z][A-Z0-9_]*`)*")


def runtime_sources() -> list[Path]:
    config = [path for path in (BASE_DIR / "config").glob("*.py") if path.name not in _NOT_RUNTIME]
    apps = [path for folder in ("tracker", "api", "frontend", "scripts")
            for path in (BASE_DIR / folder).rglob("*.py")]
    return sorted([*config, *apps, BASE_DIR / "manage.py"])


def _is_os(node: ast.AST, attr: str) -> bool:
    """`os.<attr>`, or `<attr>` imported from os."""
    if isinstance(node, ast.Attribute):
        return node.attr == attr and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == attr


def _is_environ(node: ast.AST) -> bool:
    return _is_os(node, "environ")


def _is_getenv(node: ast.AST) -> bool:
    return _is_os(node, "getenv")


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def variable_reads(tree: ast.AST) -> list[tuple[int, str | None]]:
    """(line, name) of each environment read; the name is None when it is not a literal."""
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            helper = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            environ_get = (isinstance(func, ast.Attribute) and func.attr == "get"
                           and _is_environ(func.value))
            if helper in _HELPERS or environ_get or _is_getenv(func):
                reads.append((node.lineno, _literal(node.args[0] if node.args else None)))
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            reads.append((node.lineno, _literal(node.slice)))
        elif (isinstance(node, ast.Compare) and len(node.ops) == 1
              and isinstance(node.ops[0], ast.In | ast.NotIn) and _is_environ(node.comparators[0])):
            reads.append((node.lineno, _literal(node.left)))
    return reads


def code_reads() -> dict[str, list[str]]:
    """Each variable the runtime code reads, with where ("config/settings.py:12")."""
    found: dict[str, list[str]] = {}
    for path in runtime_sources():
        if path == BASE_DIR / "config" / "env.py":
            continue  # the helpers themselves, reading the name they were given
        where = path.relative_to(BASE_DIR)
        for line, name in variable_reads(ast.parse(path.read_text(), str(path))):
            assert name is not None, f"{where}:{line} reads a variable whose name is not a literal"
            found.setdefault(name, []).append(f"{where}:{line}")
    return found


def readme_table() -> list[str]:
    """The variables the README's settings table names, in its order."""
    readme = (BASE_DIR / "README.md").read_text()
    assert "## Pointing it at PostgreSQL and Redis" in readme
    section = readme.split("## Pointing it at PostgreSQL and Redis", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows[:2] == ["| variable | meaning | default |", "|---|---|---|"]
    names = []
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        assert len(cells) == 3 and all(cells), f"a row needs a name, a meaning and a default: {row}"
        assert _TABLE_NAMES.fullmatch(cells[0]), f"the first cell names variables only: {row}"
        names += _TABLE_NAME.findall(cells[0])
    return names


def test_the_scan_finds_reads_however_they_are_written():
    source = """
a = env_str("A", "")
b = env.env_int("B", 1, minimum=0)
c = os.environ.get("C")
d = os.getenv("D", "x")
e = os.environ["E"]
f = "F" in os.environ
g = env_list(name, [])
"""
    assert variable_reads(ast.parse(source)) == [
        (2, "A"), (3, "B"), (4, "C"), (5, "D"), (6, "E"), (7, "F"), (8, None)]


def test_every_variable_the_code_reads_is_in_the_readme_table():
    documented = set(readme_table())
    missing = {name: where for name, where in code_reads().items() if name not in documented}
    assert not missing, "add to the table in README.md: " + ", ".join(
        f"{name} ({', '.join(where)})" for name, where in sorted(missing.items()))


def test_the_readme_table_names_only_variables_the_code_reads():
    stale = sorted(set(readme_table()) - set(code_reads()))
    assert not stale, f"README.md's table names variables the code never reads: {', '.join(stale)}"


def test_the_readme_table_names_each_variable_once():
    twice = sorted(name for name, count in Counter(readme_table()).items() if count > 1)
    assert not twice, f"README.md's table names these more than once: {', '.join(twice)}"


def test_each_variable_is_read_once():
    again = {name: where for name, where in code_reads().items() if len(where) > 1}
    assert not again, "read once into a setting, then use the setting: " + ", ".join(
        f"{name} ({', '.join(where)})" for name, where in sorted(again.items()))


def test_only_the_settings_read_the_environment():
    """Code outside config/settings.py uses django.conf.settings, never the environment."""
    env_py, settings_py = BASE_DIR / "config" / "env.py", BASE_DIR / "config" / "settings.py"
    wrong = []
    for path in runtime_sources():
        tree = ast.parse(path.read_text(), str(path))
        where = path.relative_to(BASE_DIR)
        # Entry points name the settings module for Django before it starts: a default, not a read.
        allowed = {id(node.func.value) for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                   and node.func.attr == "setdefault" and _is_environ(node.func.value)
                   and node.args and _literal(node.args[0]) == "DJANGO_SETTINGS_MODULE"}
        for node in ast.walk(tree):
            if path != env_py and (_is_environ(node) or _is_getenv(node)) and id(node) not in allowed:
                wrong.append(f"{where}:{node.lineno} reads os.environ")
            if (path != settings_py and isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) in _HELPERS):
                wrong.append(f"{where}:{node.lineno} calls an env helper")
    assert not wrong, "; ".join(sorted(wrong))


# --- seed_demo ------------------------------------------------------------------------------------
_COUNTED = (User, Patient, CareTeamMembership, TreatmentCourse, Application, SymptomEntry, Debridement)
_LOGIN_LINE = re.compile(r"^\s+(admin|physician|nurse|patient|caregiver)\s+(\S+)\s+(\S+)\s*$", re.MULTILINE)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in _COUNTED}


def seed(*args: str) -> str:
    out = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    call_command("seed_demo", *args, stdout=Sink())
    return "".join(out)


def test_seed_demo_refuses_with_debug_off(db):
    assert settings.DEBUG is False
    with pytest.raises(CommandError, match="--force"):
        seed()
    assert all(n == 0 for n in counts().values())


def test_seed_demo_runs_with_debug_on(db, settings):
    settings.DEBUG = True
    seed()
    assert User.objects.filter(username="dr.alvarez").exists()


def test_seed_demo_is_idempotent_and_prints_the_five_logins(db):
    first = seed("--force")
    after_first = counts()
    second = seed("--force")
    assert counts() == after_first
    assert after_first["Application"] >= 50 and after_first["SymptomEntry"] >= 20
    assert after_first["Debridement"] >= 1 and after_first["TreatmentCourse"] == 1
    for output in (first, second):
        logins = {role: (username, password) for role, username, password in
                  _LOGIN_LINE.findall(output)}
        assert set(logins) == {"admin", "physician", "nurse", "patient", "caregiver"}
    # The printed logins work, each with its role.
    for role, (username, password) in logins.items():
        response = APIClient().post("/api/v1/auth/token/", {"username": username,
                                                            "password": password}, format="json")
        assert response.status_code == 200, (role, response.content)
        assert response.json()["user"]["role"] == role


def test_seed_demo_builds_the_published_case(db):
    seed("--force")
    course = TreatmentCourse.objects.get()
    patient = course.patient
    assert course.medication == "Sodium thiosulfate"
    assert course.concentration_percent == 10
    assert "oil-in-water" in course.vehicle.lower()
    assert course.applications_per_day == 1
    assert "thigh" in course.body_site.lower()
    assert patient.user is not None and patient.user.role == Role.PATIENT
    # Her daughter helps: an active caregiver who logged some applications, as herself.
    clara = patient.caregivers.get()
    assert clara.status == "active" and clara.user.role == Role.CAREGIVER
    assert Application.objects.filter(recorded_by=clara.user).count() >= 4
    assert set(patient.care_team.values_list("role", flat=True)) == {Role.PHYSICIAN, Role.NURSE}
    first_debridement = Debridement.objects.order_by("performed_at").first()
    assert first_debridement.method == "excisional"
    assert clock.local_date(first_debridement.performed_at, patient.timezone) < course.start_date
    assert timezone.now().year - patient.birth_year == 80
    skipped = Application.objects.filter(status="skipped").count()
    assert 1 <= skipped <= 6
    pains = list(SymptomEntry.objects.order_by("recorded_at").values_list("pain", flat=True))
    assert sum(pains[-5:]) < sum(pains[:5])  # pain improves slowly
    # Weekly wound photos, processed; all measured but the last, which waits for the nurse.
    photos = list(Photo.objects.order_by("taken_at"))
    assert len(photos) == 9 and {p.status for p in photos} == {"ready"}
    assert [p.reviews.count() for p in photos] == [1] * 8 + [0]
    areas = [p.reviews.get().area_cm2 for p in photos[:-1]]
    assert areas[-1] < areas[0]  # the wound shrinks
    # A ready progress report a physician can open at once.
    report = Report.objects.get()
    assert report.status == "ready" and report.summary["photos"] == 9
    assert report.summary["area_change_percent"] < 0
