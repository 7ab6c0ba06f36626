"""A clinic at scale for the benchmarks (issue 6): thousands of patients with a year of records each.

    python manage.py seed_scale --patients 5000 --days 365 [--nurse-patients 200] [--seed 1] [--reset]

Unlike seed_demo, which goes through the services, this writes rows directly, because 5,000 patients
x 365 days is about 1.8 M applications and as many symptom entries: PostgreSQL's COPY (psycopg 3),
or Django's `bulk_create` (multi-row INSERTs in batches) on SQLite, for small runs. The rows are
what the services would have stored: `local_date` is the patient's calendar day in her zone (DST
included), `recorded_by` is the patient, PUSH scores come from tracker.services.reviews, and at
most one alert per course and kind is open. Everyone has one API token (its secret thrown
away), as signed-in phones would. No audit event is written (the trail is append-only,
and --reset could not take it back).

Everyone it makes is named `bench.*` and shares one password, hashed once with the configured
hasher: `bench.nurse` and `bench.physician` are on the care team of exactly --nurse-patients
patients; other staff (`bench.physician.<n>`, `bench.nurse.<n>`) care for the rest; patients sign in
as `bench.patient.<n>`. Photos are `ready` rows that all point at one placeholder image and
thumbnail, written once to the default storage (a 1600 x 1200 JPEG made by tracker.imaging.render;
the rows carry its true size and SHA-256); each is reviewed, except the photos of the last three
days, which wait in the review queue. With --seed the same run makes the same rows, ids
included (the dates follow the day it runs).

On PostgreSQL the big tables are loaded in one transaction with their secondary indexes and foreign
keys dropped, then rebuilt (validated) before the commit: nothing stays disabled, and a failure
rolls the whole load back. The tables are locked while it runs. It ends with VACUUM ANALYZE (only
ANALYZE inside an outer transaction). --reset deletes every `bench.*` user, their patients and
everything under them first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import math
import random
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from tracker import clock, imaging
from tracker.models import (
    ActivationCode,
    Alert,
    AlertSeverity,
    AlertStatus,
    ApiToken,
    Application,
    ApplicationStatus,
    CareTeamMembership,
    CoursePause,
    CourseStatus,
    Debridement,
    Patient,
    Photo,
    PhotoStatus,
    RecordVersion,
    Report,
    Review,
    Role,
    SymptomEntry,
    TreatmentCourse,
    User,
)
from tracker.services.reviews import area_cm2, push_score

PREFIX = "bench."
DEFAULT_PASSWORD = "tend-bench-password"  # noqa: S105  (published, like seed_demo's)
# West and east of UTC, some with daylight saving time (north and south), one without (Tokyo).
ZONE_CYCLE = ("America/Denver", "Europe/Madrid", "America/New_York", "Asia/Tokyo",
              "America/Los_Angeles", "Pacific/Auckland", "America/New_York", "Europe/Madrid",
              "America/Chicago", "America/Denver")
PLACEHOLDER_FULL = "photos/bench-placeholder/full.jpg"
PLACEHOLDER_THUMBNAIL = "photos/bench-placeholder/thumbnail.jpg"
RECENT_ALERT_DAYS = 14  # a red flag more recent than this is still open; older ones were handled

FIRST_NAMES = {
    "en": ("Helen", "Margaret", "Dorothy", "Ruth", "Frances", "Walter", "Harold", "George", "Arthur",
           "Evelyn", "Carol", "Linda", "Patricia", "James", "Robert", "Susan", "Donald", "Joan",
           "Kenji", "Yuki", "Aroha", "Tane", "Mere", "Haruto", "Emma", "Grace", "Thomas", "Alice"),
    "es": ("Rosa", "Carmen", "Dolores", "Pilar", "Josefa", "Antonio", "Manuel", "Francisco", "José",
           "Lucía", "Mercedes", "Concepción", "Ramón", "Teresa", "Isabel", "Javier", "Ana", "Luis"),
}
LAST_NAMES = {
    "en": ("Mercer", "Hughes", "Bennett", "Walsh", "Foster", "Keller", "Nakamura", "Tanaka", "Ngata",
           "Parata", "O'Brien", "Sullivan", "Morgan", "Reid", "Carter", "Lindqvist", "Abbott"),
    "es": ("Ortega", "García", "Fernández", "López", "Martínez", "Sánchez", "Romero", "Navarro",
           "Torres", "Domínguez", "Gil", "Vázquez", "Serrano", "Molina", "Castillo", "Herrera"),
}
SKIP_REASONS = {
    "en": ("Forgot, went to bed early", "Skin felt too sore", "Away from home overnight",
           "Ran out of the emulsion until the pharmacy refilled it", "Dressing was changed at the "
           "clinic and the nurse said to wait", "Felt unwell"),
    "es": ("Se me olvidó", "Me escocía demasiado la piel", "Dormí fuera de casa",
           "Se acabó la emulsión hasta que la farmacia la repuso", "Me encontraba mal"),
}
NOTES = {
    "en": ("Dressing changed too", "A bit of stinging for a few minutes", "Edges look less red",
           "Applied after the shower"),
    "es": ("También cambié el apósito", "Escoció un poco unos minutos", "Los bordes están menos rojos",
           "Aplicada después de la ducha"),
}
BODY_SITES = ("Left lateral thigh", "Right lateral thigh", "Left lower leg", "Right lower leg",
              "Abdomen", "Left buttock", "Right forearm")
REVIEW_COMMENTS = ("Edges contracting", "Less slough than last week", "Calcified fragment at 3 o'clock",
                   "Periwound skin intact", "Granulation bed looks healthy", "")

_MINUTES = [dt.timedelta(minutes=m) for m in range(240)]
_SECONDS = [dt.timedelta(seconds=s) for s in range(600)]
_HOURS = [dt.timedelta(hours=h) for h in range(48)]
_AWAITING = dt.timedelta(days=3)  # photos younger than this at the end are not yet reviewed
_TENTHS = [Decimal(f"{n / 10:.1f}") for n in range(1000)]

# The columns written, in each model's field order: a model change must be mirrored here.
_RECORD = ("id", "client_fingerprint", "course_id", "patient_id", "local_date", "notes",
           "recorded_by_id", "created_at", "updated_at", "version", "entered_in_error_at",
           "entered_in_error_by_id", "entered_in_error_reason")
_LAYOUT: dict[type[models.Model], tuple[str, ...]] = {
    Application: (*_RECORD, "applied_at", "status", "skip_reason"),
    SymptomEntry: (*_RECORD, "recorded_at", "pain", "itch", "drainage", "fever", "redness_spreading"),
    Photo: (*_RECORD, "taken_at", "status", "failure_reason", "upload_format", "upload_bytes",
            "upload_name", "image_name", "image_bytes", "thumbnail_name", "thumbnail_bytes", "width",
            "height", "sha256", "attempts", "enqueued_at", "processed_at", "reviewed_at",
            "retake_requested_at", "retake_requested_by_id", "retake_reason"),
    Review: ("id", "client_fingerprint", "photo_id", "course_id", "patient_id", "reviewer_id",
             "created_at", "length_cm", "width_cm", "area_cm2", "exudate", "tissue_type", "push_score",
             "signs_of_infection", "flag_for_physician", "comment", "version", "updated_at"),
}
BIG_TABLES = tuple(_LAYOUT)


@dataclass(slots=True)
class _Plan:
    """One patient and her course, and the habits her records follow."""

    n: int
    seed: int
    patient_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    tz: str
    language: str
    start: dt.date
    days: int  # records on the course's days 0 .. days - 1 (the start to yesterday)
    per_day: int
    adherence: float
    physician_id: uuid.UUID
    nurse_ids: tuple[uuid.UUID, ...]
    gaps: frozenset[int]
    morning_hour: int
    evening_hour: int
    photo_weekday: int
    flag_last_review: bool
    last_logged: dt.date | None = None


@dataclass(frozen=True, slots=True)
class _Event:
    """What opened an alert."""

    plan: _Plan
    kind: str
    severity: str
    detail: str
    source_type: str
    source_id: uuid.UUID
    at: dt.datetime


class _ZoneClock:
    """UTC instants of a local wall-clock hour in one zone, cached per (day, hour).

    Exact across DST changes: each (day, hour) is converted by zoneinfo, and the records add at
    most 2 hours of minutes to hours from 07:00 to 21:00, where no zone in ZONE_CYCLE changes.
    """

    def __init__(self, name: str) -> None:
        self.zone = clock.zone(name)
        self.cache: dict[tuple[dt.date, int], dt.datetime] = {}

    def at(self, day: dt.date, hour: int) -> dt.datetime:
        try:
            return self.cache[day, hour]
        except KeyError:
            value = dt.datetime.combine(day, dt.time(hour), self.zone).astimezone(dt.UTC)
            self.cache[day, hour] = value
            return value


def _uuid(bits: Callable[[int], int]) -> uuid.UUID:
    return uuid.UUID(int=bits(128), version=4)


class Command(BaseCommand):
    help = ("Fill the database with a clinic at scale for the benchmarks (bench.* accounts with a "
            "known password). Refuses to run with DEBUG off unless --force.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=500)
        parser.add_argument("--days", type=int, default=365, help="length of each course so far")
        parser.add_argument("--nurse-patients", type=int, default=None,
                            help="patients of bench.nurse and bench.physician (default: 200, or all "
                                 "the patients when there are fewer)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="of every bench.* account")
        parser.add_argument("--reset", action="store_true", help="delete earlier bench data first")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    # --- the command ------------------------------------------------------------------------------
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_scale makes accounts with a known password: it runs only with "
                               "DJANGO_DEBUG=1, or with --force.")
        patients, days, nurse_patients = options["patients"], options["days"], options["nurse_patients"]
        if nurse_patients is None:
            nurse_patients = min(200, patients)
        if patients < 0 or not 1 <= days <= 3650:
            raise CommandError("--patients must be 0 or more, and --days from 1 to 3650.")
        if not 0 <= nurse_patients <= patients:
            raise CommandError(f"--nurse-patients must be from 0 to --patients ({patients}).")
        self.started = time.perf_counter()
        if options["reset"]:
            self._reset()
        elif patients and User.objects.filter(username__startswith=PREFIX).exists():
            raise CommandError("There is bench data already: add --reset to replace it.")
        if patients:
            self.rng = random.Random(options["seed"])
            self.now = timezone.now()
            self.clocks = {name: _ZoneClock(name) for name in set(ZONE_CYCLE)}
            self._dates_cache: dict[dt.date, list[dt.date]] = {}
            counts = self._seed(patients, days, nurse_patients, options["password"])
            self._analyze()
            width = max(len(name) for name in counts)
            self.stdout.write("Rows made:")
            for name, n in counts.items():
                self.stdout.write(f"  {name:<{width}} {n:>12,}")
        self.stdout.write(self.style.SUCCESS(f"Done in {self._elapsed()}."))

    def _elapsed(self) -> str:
        return f"{time.perf_counter() - self.started:.1f} s"

    def _say(self, message: str) -> None:
        self.stdout.write(f"[{self._elapsed():>8}] {message}")
        self.stdout.flush()

    # --- reset ------------------------------------------------------------------------------------
    def _reset(self) -> None:
        """Delete the bench.* users, their patients and everything under them (no audit event:
        the trail is append-only, and its patient and actor columns have no foreign key)."""
        qn = connection.ops.quote_name

        def table(model: type[models.Model]) -> str:
            return qn(model._meta.db_table)

        # Only table names from the models are formatted in; the one value is a parameter.
        users = f"SELECT id FROM {table(User)} WHERE username LIKE %s"  # noqa: S608
        patients = (f"SELECT id FROM {table(Patient)} WHERE user_id IN ({users}) "  # noqa: S608
                    f"OR created_by_id IN ({users})")
        courses = f"SELECT id FROM {table(TreatmentCourse)} WHERE patient_id IN ({patients})"  # noqa: S608
        like = PREFIX + "%"
        steps: list[tuple[type[models.Model], str, int]] = [
            (RecordVersion, f"changed_by_id IN ({users})", 1),
            *[(model, f"patient_id IN ({patients})", 2) for model in
              (Review, Alert, Report, Photo, Application, SymptomEntry, Debridement)],
            (CoursePause, f"course_id IN ({courses})", 2),
            (TreatmentCourse, f"patient_id IN ({patients})", 2),
            (CareTeamMembership, f"patient_id IN ({patients}) OR staff_id IN ({users})", 3),
            (ActivationCode, f"patient_id IN ({patients})", 2),
            (Patient, f"user_id IN ({users}) OR created_by_id IN ({users})", 2),
        ]
        self._say("Deleting earlier bench data...")
        deleted = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for model, where, n_params in steps:
                cursor.execute(f"DELETE FROM {table(model)} WHERE {where}", [like] * n_params)  # noqa: S608
                deleted += max(cursor.rowcount, 0)
            try:  # the ORM for the users: their API tokens, admin log entries, group links cascade
                deleted += User.objects.filter(username__startswith=PREFIX).delete()[0]
            except ProtectedError as exc:
                raise CommandError(f"Other data refers to bench users, so they were not deleted: "
                                   f"{exc.args[0]}") from None
        self._say(f"Deleted {deleted:,} rows of earlier bench data.")

    # --- the people -------------------------------------------------------------------------------
    def _seed(self, n_patients: int, n_days: int, nurse_patients: int, password: str
              ) -> dict[str, int]:
        self._check_layout()
        photo = self._placeholder()
        password_hash = make_password(password)  # once: Argon2 takes ~50 ms a hash
        counts: dict[str, int] = {}
        with transaction.atomic(), self._bulk_load():
            users, plans, memberships, courses = self._people(n_patients, n_days, nurse_patients,
                                                              password_hash)
            counts.update(users=len(users), patients=len(plans), care_team_memberships=memberships,
                          courses=courses)
            self._say(f"{len(users):,} users, {len(plans):,} patients and courses, "
                      f"{memberships:,} care-team memberships.")
            counts["api_tokens"] = self._tokens(users)
            counts["applications"] = self._load(Application, self._applications(plans), plans)
            events: list[_Event] = []
            counts["symptom_entries"] = self._load(SymptomEntry, self._symptoms(plans, events), plans)
            reviews: list[tuple[Any, ...]] = []
            counts["photos"] = self._load(Photo, self._photos(plans, photo, reviews, events), plans)
            counts["reviews"] = self._load(Review, iter(reviews), [])
            alerts = self._alerts(plans, events)
            counts["alerts"] = len(alerts)
            counts["open_alerts"] = sum(alert.status == AlertStatus.OPEN for alert in alerts)
            self._say(f"{len(alerts):,} alerts ({counts['open_alerts']:,} open).")
        return counts

    def _people(self, n_patients: int, n_days: int, nurse_patients: int, password_hash: str
                ) -> tuple[list[User], list[_Plan], int, int]:
        rng = self.rng
        bits = rng.getrandbits
        others = n_patients - nurse_patients
        n_physicians = 1 + (math.ceil(others / 300) if others else 0)
        n_nurses = 1 + max(1, math.ceil(others / 120))
        joined = self.now - dt.timedelta(days=n_days + 30)
        users: list[User] = []

        def user(username: str, role: str, name: str, when: dt.datetime) -> User:
            made = User(id=_uuid(bits), username=username, password=password_hash, role=role,
                        display_name=name, date_joined=when)
            users.append(made)
            return made

        def staff_name() -> str:
            return f"{rng.choice(FIRST_NAMES['en'])} {rng.choice(LAST_NAMES['en'])}"

        physicians = [user(f"{PREFIX}physician" + (f".{i}" if i > 1 else ""), Role.PHYSICIAN,
                           f"Dr. {staff_name()}", joined) for i in range(1, n_physicians + 1)]
        nurses = [user(f"{PREFIX}nurse" + (f".{i}" if i > 1 else ""), Role.NURSE,
                       f"{staff_name()}, RN", joined) for i in range(1, n_nurses + 1)]
        bench_physician, bench_nurse = physicians[0], nurses[0]
        physician_pool, nurse_pool = physicians[1:], nurses[1:]
        theirs = set(rng.sample(range(n_patients), nurse_patients))

        plans: list[_Plan] = []
        patients: list[Patient] = []
        memberships: list[CareTeamMembership] = []
        courses: list[TreatmentCourse] = []
        for i in range(n_patients):
            tz = ZONE_CYCLE[i % len(ZONE_CYCLE)]
            language = "es" if rng.random() < (0.9 if tz == "Europe/Madrid" else 0.15) else "en"
            name = f"{rng.choice(FIRST_NAMES[language])} {rng.choice(LAST_NAMES[language])}"
            if i in theirs:
                team = [bench_physician, bench_nurse] + (
                    [rng.choice(nurse_pool)] if rng.random() < 0.3 else [])
            else:
                team = [physician_pool[i % len(physician_pool)],
                        *rng.sample(nurse_pool, min(len(nurse_pool), rng.choice((1, 1, 2))))]
            start = clock.today_in(tz, now=self.now) - dt.timedelta(days=n_days)
            created = (self.clocks[tz].at(start - dt.timedelta(days=rng.randrange(1, 10)), 10)
                       + _MINUTES[rng.randrange(180)])
            patient_user = user(f"{PREFIX}patient.{i + 1}", Role.PATIENT, name,
                                created + dt.timedelta(hours=rng.randrange(1, 30)))
            gaps: set[int] = set()
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):  # holidays, hospital stays: nothing
                first = rng.randrange(n_days)
                gaps.update(range(first, min(n_days, first + rng.randrange(2, 7))))
            plan = _Plan(
                n=i + 1, seed=bits(62), patient_id=_uuid(bits), user_id=patient_user.id,
                course_id=_uuid(bits), tz=tz, language=language, start=start, days=n_days,
                per_day=2 if rng.random() < 0.15 else 1, adherence=rng.uniform(0.6, 1.0),
                physician_id=team[0].id, nurse_ids=tuple(member.id for member in team[1:]),
                gaps=frozenset(gaps), morning_hour=rng.choice((7, 8)),
                evening_hour=rng.choice((19, 20, 20, 21)), photo_weekday=rng.randrange(7),
                flag_last_review=False,
            )
            plans.append(plan)
            patients.append(Patient(
                id=plan.patient_id, user_id=patient_user.id, display_name=name,
                birth_year=rng.randint(1930, 1990), timezone=tz, language=language,
                created_by_id=team[0].id, created_at=created))
            memberships += [CareTeamMembership(patient_id=plan.patient_id, staff_id=member.id,
                                               added_by_id=team[0].id, added_at=created)
                            for member in team]
            per_day = plan.per_day
            courses.append(TreatmentCourse(
                id=plan.course_id, patient_id=plan.patient_id, medication="Sodium thiosulfate",
                concentration_percent=Decimal(10), vehicle="Oil-in-water emulsion",
                body_site=rng.choice(BODY_SITES), applications_per_day=per_day, start_date=start,
                instructions=("Apply a thin layer over the ulcer and the nodules "
                              + ("once a day, in the evening" if per_day == 1 else
                                 "twice a day, morning and evening")
                              + ", after cleansing with saline. Cover with a non-adherent dressing."),
                status=CourseStatus.ACTIVE, prescribed_by_id=team[0].id,
                created_at=created + dt.timedelta(hours=1), updated_at=created + dt.timedelta(hours=1),
            ))
        # A few reviews flagged for the physician in the last week: open alerts whatever the luck.
        for plan in rng.sample(plans, max(1, n_patients // 50)):
            plan.flag_last_review = True
        batch = 2000
        User.objects.bulk_create(users, batch_size=batch)
        Patient.objects.bulk_create(patients, batch_size=batch)
        CareTeamMembership.objects.bulk_create(memberships, batch_size=batch)
        TreatmentCourse.objects.bulk_create(courses, batch_size=batch)
        return users, plans, len(memberships), len(courses)

    # --- the records ------------------------------------------------------------------------------
    def _dates(self, start: dt.date, n_days: int) -> list[dt.date]:
        dates = self._dates_cache.get(start)
        if dates is None:
            dates = self._dates_cache[start] = [start + dt.timedelta(days=d) for d in range(n_days)]
        return dates

    # The generators below make millions of rows: `int(rand() * n)` rather than randrange (4x
    # faster), and cached datetimes and timedeltas.
    def _applications(self, plans: list[_Plan]) -> Iterator[tuple[Any, ...]]:
        applied, skipped = ApplicationStatus.APPLIED.value, ApplicationStatus.SKIPPED.value
        for plan in plans:
            rng = random.Random(plan.seed * 8 + 1)
            rand, bits = rng.random, rng.getrandbits
            at, gaps, user_id = self.clocks[plan.tz].at, plan.gaps, plan.user_id
            course_id, patient_id = plan.course_id, plan.patient_id
            reasons, notes = SKIP_REASONS[plan.language], NOTES[plan.language]
            adherence = plan.adherence
            skipping = adherence + (1 - adherence) * 0.35  # of the doses not applied, a third skipped
            hours = (plan.morning_hour, plan.evening_hour) if plan.per_day == 2 else (plan.evening_hour,)
            last = None
            for d, day in enumerate(self._dates(plan.start, plan.days)):
                if d in gaps:
                    continue
                for hour in hours:
                    u = rand()
                    if u < adherence:
                        status, reason = applied, ""
                    elif u < skipping:
                        status, reason = skipped, reasons[int(rand() * len(reasons))]
                    else:
                        continue
                    when = at(day, hour) + _MINUTES[int(rand() * 120)] + _SECONDS[int(rand() * 60)]
                    logged = when + _SECONDS[int(rand() * 600)]
                    note = notes[int(rand() * len(notes))] if rand() < 0.02 else ""
                    yield (_uuid(bits), "", course_id, patient_id, day, note, user_id, logged, logged,
                           1, None, None, "", when, status, reason)
                    last = day
            plan.last_logged = last

    def _symptoms(self, plans: list[_Plan], events: list[_Event]) -> Iterator[tuple[Any, ...]]:
        """About one entry a day, pain and itch easing towards a floor; a red flag in ~3 of 1,000."""
        flag_names = ("fever", "pus", "spreading redness")
        for plan in plans:
            rng = random.Random(plan.seed * 8 + 2)
            rand, bits, uniform = rng.random, rng.getrandbits, rng.uniform
            at, gaps, user_id = self.clocks[plan.tz].at, plan.gaps, plan.user_id
            course_id, patient_id = plan.course_id, plan.patient_id
            rate = uniform(0.8, 1.0)
            pain0, pain_floor, pain_ease = uniform(4, 8), uniform(0.3, 2), math.exp(-1 / uniform(40, 160))
            itch0, itch_floor, itch_ease = uniform(3, 7), uniform(0.3, 2), math.exp(-1 / uniform(40, 160))
            pain_left, itch_left = pain0 - pain_floor, itch0 - itch_floor  # above the floor, today
            for d, day in enumerate(self._dates(plan.start, plan.days)):
                pain_now, itch_now = pain_floor + pain_left, itch_floor + itch_left
                pain_left *= pain_ease
                itch_left *= itch_ease
                if d in gaps or rand() > rate:
                    continue
                pain = round(pain_now + 1.2 * (rand() + rand() - 1))
                itch = round(itch_now + 1.2 * (rand() + rand() - 1))
                r = rand()
                drainage = ("clear" if r < (0.25 if d < 28 else 0.05) else
                            "cloudy" if r < (0.28 if d < 28 else 0.06) else "none")
                fever = redness = False
                flag = ""
                if rand() < 0.003:
                    flag = flag_names[int(rand() * 3)]
                    fever, redness = flag == "fever", flag == "spreading redness"
                    if flag == "pus":
                        drainage = "pus"
                when = at(day, 21) + _MINUTES[int(rand() * 90)] + _SECONDS[int(rand() * 60)]
                logged = when + _SECONDS[int(rand() * 300)]
                entry_id = _uuid(bits)
                yield (entry_id, "", course_id, patient_id, day, "", user_id, logged, logged, 1, None,
                       None, "", when, min(10, max(0, pain)), min(10, max(0, itch)), drainage, fever,
                       redness)
                if flag:
                    events.append(_Event(
                        plan, "symptom_red_flag", AlertSeverity.HIGH,
                        f"Warning signs reported on {day}: {flag}. Contact the patient today.",
                        "symptom", entry_id, logged))

    def _photos(self, plans: list[_Plan], image: imaging.Rendered, reviews: list[tuple[Any, ...]],
                events: list[_Event]) -> Iterator[tuple[Any, ...]]:
        """A photo a week (the patient's), each reviewed by her nurse or physician; the reviews
        are kept for the next COPY."""
        latest_review = self.now - dt.timedelta(minutes=1)
        image_bytes, thumbnail_bytes = len(image.full), len(image.thumbnail)
        for plan in plans:
            rng = random.Random(plan.seed * 8 + 3)
            rand, bits, uniform = rng.random, rng.getrandbits, rng.uniform
            at, dates = self.clocks[plan.tz].at, self._dates(plan.start, plan.days)
            length0 = uniform(2.0, 7.0)
            width0 = uniform(1.0, min(length0, 4.5))
            shrink = uniform(0.985, 1.005) if rand() < 0.15 else uniform(0.93, 0.985)  # a week
            first_tissue = "necrotic" if rand() < 0.3 else "slough"
            area0 = area_cm2(_TENTHS[round(length0 * 10)], _TENTHS[round(width0 * 10)])
            closed = False
            for week, d in enumerate(range(plan.photo_weekday, plan.days, 7)):
                day = dates[d]
                taken = (at(day, 10 + int(rand() * 8)) + _MINUTES[int(rand() * 60)]
                         + _SECONDS[int(rand() * 60)])
                created = taken + _MINUTES[int(rand() * 30)] + _SECONDS[int(rand() * 60)]
                processed = created + _SECONDS[3 + int(rand() * 12)]
                last_one = d + 7 >= plan.days
                reviewed = min(processed + _HOURS[2 + int(rand() * 28)] + _MINUTES[int(rand() * 60)],
                               latest_review)
                # The photos of the last three days wait in the review queue (about 3 in 7
                # patients have one), unless this one must raise a flagged-review alert.
                awaiting = last_one and self.now - taken < _AWAITING and not plan.flag_last_review
                photo_id = _uuid(bits)
                yield (photo_id, "", plan.course_id, plan.patient_id, day, "", plan.user_id, created,
                       processed, 1, None, None, "", taken, PhotoStatus.READY.value, "", "JPEG",
                       2_000_000 + int(rand() * 3_000_000), "", PLACEHOLDER_FULL, image_bytes,
                       PLACEHOLDER_THUMBNAIL, thumbnail_bytes, image.width, image.height,
                       image.sha256, 1, created, processed, None if awaiting else reviewed,
                       None, None, "")
                if awaiting:
                    continue

                scale = math.sqrt(shrink ** week)
                length = 0 if closed else max(0, round((length0 * scale + uniform(-0.2, 0.2)) * 10))
                width = 0 if closed else max(0, round((width0 * scale + uniform(-0.2, 0.2)) * 10))
                if length == 0 or width == 0:
                    length = width = 0
                    closed = True
                length_cm, width_cm = _TENTHS[min(length, 999)], _TENTHS[min(width, 999)]
                area = area_cm2(length_cm, width_cm)
                healed = area / area0 if area0 else Decimal(0)
                if area == 0:
                    tissue, exudate = "closed", "none"
                elif healed > Decimal("0.75"):
                    tissue = first_tissue if rand() < 0.7 else "granulation"
                    exudate = "heavy" if rand() < 0.1 else "moderate"
                elif healed > Decimal("0.4"):
                    tissue = "granulation" if rand() < 0.85 else "slough"
                    exudate = "moderate" if rand() < 0.3 else "light"
                else:
                    tissue = "epithelial" if rand() < 0.6 else "granulation"
                    exudate = "light" if rand() < 0.4 else "none"
                infected = rand() < 0.01
                flagged = rand() < 0.02 or (last_one and plan.flag_last_review)
                review_id = _uuid(bits)
                reviewer = plan.physician_id if rand() < 0.2 else plan.nurse_ids[0]
                reviews.append((review_id, "", photo_id, plan.course_id, plan.patient_id, reviewer,
                                reviewed, length_cm, width_cm, area, exudate, tissue,
                                push_score(area=area, exudate=exudate, tissue_type=tissue),
                                infected, flagged,
                                REVIEW_COMMENTS[int(rand() * len(REVIEW_COMMENTS))] if rand() < 0.3 else "",
                                1, reviewed))
                if infected or flagged:
                    when = clock.local_date(reviewed, plan.tz).isoformat()
                if infected:
                    events.append(_Event(plan, "review_infection", AlertSeverity.HIGH,
                                         f"A wound review on {when} found signs of infection.",
                                         "review", review_id, reviewed))
                if flagged:
                    events.append(_Event(plan, "review_flagged", AlertSeverity.MEDIUM,
                                         f"A wound review on {when} was flagged for the physician.",
                                         "review", review_id, reviewed))

    def _alerts(self, plans: list[_Plan], events: list[_Event]) -> list[Alert]:
        """One alert per event; every episode was acknowledged by the nurse within the day, but
        the latest of each course and kind when it is recent. Courses with nothing logged on the
        last whole days have the open `no_log` alert the hourly check would have raised."""
        rng = random.Random(self.rng.getrandbits(62))
        bits = rng.getrandbits
        recent = self.now - dt.timedelta(days=RECENT_ALERT_DAYS)
        events.sort(key=lambda event: (event.plan.n, event.kind, event.at))
        alerts: list[Alert] = []
        for i, event in enumerate(events):
            following = events[i + 1] if i + 1 < len(events) else None
            latest = following is None or (following.plan.n, following.kind) != (event.plan.n,
                                                                                  event.kind)
            open_ = latest and event.at >= recent
            acknowledged = None if open_ else min(event.at + dt.timedelta(hours=rng.randrange(1, 20)),
                                                  self.now)
            alerts.append(Alert(
                id=_uuid(bits), course_id=event.plan.course_id, patient_id=event.plan.patient_id,
                kind=event.kind, severity=event.severity, detail=event.detail,
                status=AlertStatus.OPEN if open_ else AlertStatus.ACKNOWLEDGED,
                source_type=event.source_type, source_id=event.source_id, created_at=event.at,
                acknowledged_at=acknowledged,
                acknowledged_by_id=None if open_ else event.plan.nurse_ids[0]))
        missed = settings.TEND_MISSED_DAYS
        for plan in plans:
            first_missing = clock.today_in(plan.tz, now=self.now) - dt.timedelta(days=missed)
            if plan.start > first_missing or (plan.last_logged and plan.last_logged >= first_missing):
                continue
            last = plan.last_logged.isoformat() if plan.last_logged else "never"
            alerts.append(Alert(
                id=_uuid(bits), course_id=plan.course_id, patient_id=plan.patient_id, kind="no_log",
                severity=AlertSeverity.MEDIUM, status=AlertStatus.OPEN,
                detail=f"Nothing logged for {missed} whole days (last log: {last}). "
                       "Check in with the patient.",
                created_at=self.now - dt.timedelta(minutes=rng.randrange(1, 600))))
        Alert.objects.bulk_create(alerts, batch_size=2000)
        return alerts

    def _tokens(self, users: list[User]) -> int:
        """A signed-in phone or client for everyone, as a clinic has: the token table is read on
        every request, so its lookup is measured against a realistic table. The secrets are
        thrown away; the bench signs in for the tokens it uses."""
        expires = self.now + dt.timedelta(days=30)
        ApiToken.objects.bulk_create([
            ApiToken(user_id=user.pk, key_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                     created_at=self.now, last_used_at=self.now, expires_at=expires)
            for user in users
        ], batch_size=5000)
        self._say(f"{len(users):,} API tokens.")
        return len(users)

    # --- writing ----------------------------------------------------------------------------------
    def _check_layout(self) -> None:
        for model, layout in _LAYOUT.items():
            actual = tuple(field.attname for field in model._meta.concrete_fields)
            if actual != layout:
                raise CommandError(f"{model.__name__}'s fields changed; update seed_scale's layout: "
                                   f"{actual}")

    def _load(self, model: type[models.Model], rows: Iterator[tuple[Any, ...]], plans: list[_Plan]
              ) -> int:
        """Write the rows: COPY on PostgreSQL, bulk_create (multi-row INSERTs) elsewhere."""
        name = ("symptom entries" if model is SymptomEntry
                else str(model._meta.verbose_name_plural))
        started = time.perf_counter()
        tally = [0]
        source = self._tally(rows, plans, name, tally)
        if connection.vendor == "postgresql":
            qn = connection.ops.quote_name
            fields = model._meta.concrete_fields
            columns = ", ".join(qn(field.column) for field in fields)
            sql = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                # Binary: 5x faster than text here. The types must be the columns' own
                # (smallint is not integer); Django's are the PostgreSQL names, less the length.
                copy.set_types([(field.db_type(connection) or "").split("(")[0] for field in fields])
                write = copy.write_row
                for row in source:
                    write(row)
        else:
            batch: list[models.Model] = []
            for row in source:
                batch.append(model(*row))
                if len(batch) == 5000:
                    model._default_manager.bulk_create(batch)
                    batch = []
            model._default_manager.bulk_create(batch)
        rate = tally[0] / max(time.perf_counter() - started, 1e-6)
        self._say(f"{tally[0]:,} {name} ({rate:,.0f} rows/s).")
        return tally[0]

    def _tally(self, rows: Iterator[tuple[Any, ...]], plans: list[_Plan], name: str, tally: list[int]
               ) -> Iterator[tuple[Any, ...]]:
        """The rows, counted, saying now and then how far through the patients the generator is
        (they come patient by patient; a record's patient is its 4th column)."""
        position = {plan.patient_id: plan.n for plan in plans}
        step = max(1, len(plans) // 10)
        current = 0
        for row in rows:
            tally[0] += 1
            if position and (n := position[row[3]]) != current:
                current = n
                if n % step == 0:
                    self._say(f"  {name}: patient {n:,} of {len(plans):,}, {tally[0]:,} rows")
            yield row

    @contextlib.contextmanager
    def _bulk_load(self) -> Iterator[None]:
        """On PostgreSQL, inside the load's transaction: drop the big tables' secondary indexes and
        foreign keys, and make them again (foreign keys validated) after the load. One index build
        and one join beat millions of index insertions and per-row constraint triggers. A failure
        rolls all of it back with the data: nothing stays dropped."""
        if connection.vendor != "postgresql":
            yield
            return
        qn = connection.ops.quote_name
        saved: list[str] = []
        with connection.cursor() as cursor:
            # Pending deferred checks (rows written earlier in an outer transaction) run now:
            # ALTER TABLE refuses a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model in BIG_TABLES:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname", [table])
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
                    saved.append(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
                    "ORDER BY i.relname", [table])
                for name, definition in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {qn(name)}")
                    saved.insert(0, definition)  # indexes first, then the foreign keys use them
        yield
        self._say(f"Rebuilding {len(saved)} indexes and foreign keys...")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the small tables' checks, as above
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in saved:
                cursor.execute(statement)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self._say("Indexes and foreign keys rebuilt.")

    def _analyze(self) -> None:
        models_: tuple[type[models.Model], ...] = (User, ApiToken, Patient, CareTeamMembership,
                                                   TreatmentCourse, *BIG_TABLES, Alert)
        tables = [model._meta.db_table for model in models_]
        qn = connection.ops.quote_name
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._say("VACUUM ANALYZE..." if vacuum else "ANALYZE...")
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # VACUUM also fills the visibility map, for index-only scans of fresh rows.
                cursor.execute(("VACUUM (ANALYZE) " if vacuum else "ANALYZE ")
                               + ", ".join(qn(table) for table in tables))
            else:
                cursor.execute("ANALYZE")

    # --- the placeholder photo --------------------------------------------------------------------
    def _placeholder(self) -> imaging.Rendered:
        """A wound-coloured 1600 x 1200 JPEG, made into a full image and a thumbnail by Tend's own
        pipeline and stored once; every bench photo points at it."""
        from PIL import Image, ImageDraw

        picture = Image.new("RGB", (1600, 1200), (222, 184, 160))
        draw = ImageDraw.Draw(picture)
        draw.ellipse((560, 420, 1040, 780), fill=(168, 72, 70), outline=(120, 50, 50), width=12)
        draw.ellipse((700, 520, 820, 600), fill=(236, 230, 214))  # a chalky nodule
        upload = io.BytesIO()
        picture.save(upload, "JPEG", quality=88)
        rendered = imaging.render(upload.getvalue(), "JPEG")
        for name, content in ((PLACEHOLDER_FULL, rendered.full),
                              (PLACEHOLDER_THUMBNAIL, rendered.thumbnail)):
            if default_storage.exists(name):
                default_storage.delete(name)
            stored = default_storage.save(name, ContentFile(content))
            if stored != name:
                raise CommandError(f"The storage saved the placeholder as {stored}, not {name}.")
        return rendered

