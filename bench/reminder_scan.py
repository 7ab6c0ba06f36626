"""Benchmark: beat's reminder scan at clinic scale. Not a test.

Run it from the repository root (PostgreSQL on 127.0.0.1:5432 as `postgres`, like the tests):

    .venv/bin/python bench/reminder_scan.py                  # 500 and 5,000 patients: about a minute
    .venv/bin/python bench/reminder_scan.py --scales 500,5000,20000 --runs 5

What it does:
1. Creates a throwaway database `tend_bench_<random>`, migrates it, and seeds patients in six time
   zones, each with an active course, two reminder times, a subscribed phone; one in ten has a
   caregiver with a phone too, and three in ten have logged the day already (`already_logged`).
2. At each scale (the patients of the smaller scale are kept, more are added), moves every
   reminder time to be due at one moment, between 5 and 55 minutes ago in each patient's zone,
   and times one `reminders_due_scan` over them: the finding query, the decisions, the claims, the
   deliveries, the move to the next day and, after commit, the `enqueued_at` stamp of every
   delivery handed to the workers. The broker publish itself is stubbed (one Redis round trip a
   message, the same at any scale). Each run is a new local day; the median of `--runs` is shown.
3. Prints the figures (total ms, µs per patient, the ratio per patient at the largest scale over
   the smallest, the queries per scan) and `EXPLAIN (ANALYZE, BUFFERS)` of the finding query,
   both when every time is due and on an ordinary minute, when a few are; writes
   bench/results/reminder_scan.json. Drops the database at the end, even when it fails.

Goals: the scan of 5,000 patients under 1 s; per patient, at most 1.5 times the cost at 500.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import _common  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "reminder_scan.json"
GOAL_SCAN_MS = 1000.0  # the largest default scale, 5,000 patients
GOAL_GROWTH = 1.5
ZONES = ("America/Denver", "America/New_York", "America/Los_Angeles", "Europe/Madrid",
         "Pacific/Auckland", "Asia/Kolkata")
NOW = dt.datetime(2026, 3, 16, 18, 0, tzinfo=dt.UTC)  # a moment with the clocks of both hemispheres


def setup_django(folder: Path, state: dict[str, Any]) -> None:
    os.environ["REDIS_URL"] = ""  # no server needed: file cache, and the publish is stubbed
    base = _common.postgres_base()
    name = _common.throwaway_name("tend_bench")
    _common.create_database(base, name)
    state.update(postgres=base, postgres_database=name)
    os.environ.update(_common.settings_test_env(f"{base}/{name}", folder, name))
    import django

    django.setup()
    _common.migrate()


def seed(count: int, *, runs: int, rng: random.Random) -> None:
    """Add `count` patients, each with what the module's docstring lists."""
    from django.contrib.auth.hashers import make_password

    from tracker import clock
    from tracker.models import (
        Application,
        Caregiver,
        CaregiverStatus,
        Patient,
        PushSubscription,
        ReminderTime,
        Role,
        TreatmentCourse,
        User,
    )

    staff, _ = User.objects.get_or_create(username="bench.physician",
                                          defaults={"role": Role.PHYSICIAN})
    password = make_password("tend-bench-password")
    tag = secrets.token_hex(3)

    def endpoint() -> str:
        return f"https://fcm.googleapis.com/fcm/send/{secrets.token_urlsafe(24)}"

    users = [User(username=f"p{tag}{n}", role=Role.PATIENT, password=password) for n in range(count)]
    User.objects.bulk_create(users)
    patients = [Patient(user=user, display_name=f"Patient {n}", birth_year=1940 + n % 40,
                        timezone=ZONES[n % len(ZONES)], language="es" if n % 4 == 0 else "en",
                        created_by=staff) for n, user in enumerate(users)]
    Patient.objects.bulk_create(patients)
    courses = [TreatmentCourse(patient=patient, medication="Sodium thiosulfate",
                               concentration_percent=25, vehicle="Zinc oxide paste",
                               body_site="Left lateral thigh", applications_per_day=1,
                               start_date=NOW.date() - dt.timedelta(days=60), prescribed_by=staff,
                               reminders_enabled=True) for patient in patients]
    TreatmentCourse.objects.bulk_create(courses)
    times = []
    for course in courses:
        # A first time 30 to 55 minutes before the scans' time of day, a second 5 to 25 before.
        for minutes in (rng.randrange(30, 56), rng.randrange(5, 26)):
            wall = (NOW - dt.timedelta(minutes=minutes)).astimezone(clock.zone(course.patient.timezone))
            times.append(ReminderTime(course=course, at=wall.time().replace(second=0, microsecond=0)))
    ReminderTime.objects.bulk_create(times)
    subscriptions = [PushSubscription(user=user, endpoint=endpoint(), p256dh="B" + "A" * 86,
                                      auth="A" * 22) for user in users]
    helpers = [User(username=f"c{tag}{n}", role=Role.CAREGIVER, password=password)
               for n in range(0, count, 10)]
    User.objects.bulk_create(helpers)
    Caregiver.objects.bulk_create([
        Caregiver(patient=patients[n * 10], user=helper, display_name="Helper",
                  status=CaregiverStatus.ACTIVE, invited_by=users[n * 10])
        for n, helper in enumerate(helpers)])
    subscriptions += [PushSubscription(user=helper, endpoint=endpoint(), p256dh="B" + "A" * 86,
                                       auth="A" * 22) for helper in helpers]
    PushSubscription.objects.bulk_create(subscriptions)
    # Three in ten have logged the day of each run already: their reminders are `already_logged`.
    logged = [Application(course=course, patient=course.patient, recorded_by=course.patient.user,
                          local_date=NOW.date() + dt.timedelta(days=day), status="applied",
                          applied_at=NOW + dt.timedelta(days=day, hours=-3))
              for course in courses if rng.random() < 0.3 for day in range(runs + 1)]
    Application.objects.bulk_create(logged, batch_size=5000)


def make_due(now: dt.datetime) -> int:
    """Every reminder time due at `now`: each at its latest occurrence, on the local day it fell."""
    from django.db import connection

    from tracker import clock
    from tracker.models import ReminderTime
    from tracker.services.reminders import next_occurrence

    ids, days, dues = [], [], []
    for pk, at, zone in ReminderTime.objects.values_list("pk", "at", "course__patient__timezone"):
        day, due = next_occurrence(at, clock.zone(zone), now - dt.timedelta(days=1))
        ids.append(pk)
        days.append(day)
        dues.append(due)
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE tracker_remindertime AS r SET next_due_at = v.due, next_local_date = v.day
               FROM unnest(%s::bigint[], %s::timestamptz[], %s::date[]) AS v(id, due, day)
               WHERE r.id = v.id""", [ids, dues, days])
        # As autovacuum would, soon after a day's worth of updates: the dead versions of the rows
        # would otherwise sit in the partial index for the scan to step over.
        cursor.execute("VACUUM ANALYZE tracker_remindertime")
    return len(ids)


def explain(now: dt.datetime) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the scan's finding query at `now`, its locks rolled back."""
    from django.db import connection, transaction

    from tracker.services.reminders import found_query

    with transaction.atomic():
        sql, params = found_query(now).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(line for (line,) in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def _statement(sql: str) -> str:
    """Which step of the scan a statement is."""
    text = " ".join(sql[:300].split())
    for prefix, name in (("WITH found", "claim and deliver"), ("UPDATE tracker_remindertime", "advance"),
                         ("SELECT a.course_id", "logged"), ('SELECT "tracker_coursepause"', "pauses"),
                         ('SELECT "tracker_remindertime"', "find"),
                         ('UPDATE "tracker_pushdelivery"', "stamp")):
        if text.startswith(prefix):
            return name
    return text.split(" ", 1)[0]  # BEGIN, COMMIT


def timed_scan(now: dt.datetime) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracker.models import PushDelivery, ReminderOccurrence
    from tracker.services.reminders import reminders_due_scan

    before = PushDelivery.objects.count(), ReminderOccurrence.objects.count()
    with CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        handled = reminders_due_scan(now=now)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    deliveries = PushDelivery.objects.count() - before[0]
    split: dict[str, float] = {}
    for query in queries.captured_queries:
        name = _statement(query["sql"])
        split[name] = split.get(name, 0.0) + float(query["time"]) * 1000
    split["Python, fetching rows"] = elapsed * 1000 - sum(split.values())
    return {"ms": elapsed * 1000, "cpu_ms": cpu * 1000, "handled": handled,
            "queries": len(queries), "split_ms": split,
            "deliveries": deliveries, "occurrences": ReminderOccurrence.objects.count() - before[1],
            "pending_enqueued": PushDelivery.objects.filter(enqueued_at__isnull=False,
                                                            created_at=now).count()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="500,5000", help="patients, comma-separated, growing")
    parser.add_argument("--runs", type=int, default=3, help="timed scans per scale (median shown)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    scales = sorted(int(n) for n in args.scales.split(","))
    rng = random.Random(6)
    folder = Path(tempfile.mkdtemp(prefix="tend-bench-"))
    state: dict[str, Any] = {}
    figures: dict[str, Any] = {}
    plans: dict[str, str] = {}
    load_before = _common.load_average()
    try:
        setup_django(folder, state)
        from tracker import queue

        queue.publish = lambda task, *args: None  # the broker round trip is not measured

        day = 0
        seeded = 0
        for scale in scales:
            print(f"Seeding {scale - seeded} patients (to {scale}) ...", flush=True)
            seed(scale - seeded, runs=len(scales) * (args.runs + 1), rng=rng)
            seeded = scale
            samples = []
            for run in range(args.runs + 1):  # the first run warms up and is not counted
                now = NOW + dt.timedelta(days=day)
                day += 1
                due = make_due(now)
                if run == 1:
                    plans[f"{scale}_all_due"] = explain(now)
                result = timed_scan(now)
                assert result["handled"] == due, (result, due)
                if run:
                    samples.append(result)
            median = statistics.median(s["ms"] for s in samples)
            figures[str(scale)] = {
                "patients": scale, "reminder_times": samples[0]["handled"],
                "runs_ms": [round(s["ms"], 1) for s in samples], "median_ms": round(median, 1),
                "us_per_patient": round(median * 1000 / scale, 1),
                # This process's CPU (Python and the driver), steadier than wall time on a busy
                # machine; PostgreSQL's own time is in the split.
                "median_cpu_ms": round(statistics.median(s["cpu_ms"] for s in samples), 1),
                "queries_per_scan": samples[0]["queries"],
                "split_median_ms": {name: round(statistics.median(s["split_ms"].get(name, 0.0)
                                                                  for s in samples), 1)
                                    for name in samples[0]["split_ms"]},
                "deliveries_per_scan": samples[0]["deliveries"],
                "occurrences_per_scan": samples[0]["occurrences"],
            }
        # An ordinary minute at the largest scale: the few times due now, off the partial index.
        from tracker.models import ReminderTime

        ordinary = NOW + dt.timedelta(days=day + 1, hours=12)
        ReminderTime.objects.update(next_due_at=ordinary + dt.timedelta(hours=1))
        few = list(ReminderTime.objects.order_by("?").values_list("pk", flat=True)[:8])
        ReminderTime.objects.filter(pk__in=few).update(next_due_at=ordinary - dt.timedelta(seconds=30))
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tracker_remindertime")
        plans[f"{scales[-1]}_ordinary_minute"] = explain(ordinary)

        small, large = figures[str(scales[0])], figures[str(scales[-1])]
        growth = large["us_per_patient"] / small["us_per_patient"]
        print(f"\n  load average before: {load_before}, after: {_common.load_average()} "
              f"({os.cpu_count()} CPUs)")
        print("  patients  reminder times  median ms   µs/patient  CPU ms  queries  runs (ms)")
        for row in figures.values():
            print(f"  {row['patients']:8,}  {row['reminder_times']:14,}  {row['median_ms']:9.1f}  "
                  f"{row['us_per_patient']:11.1f}  {row['median_cpu_ms']:6.0f}  "
                  f"{row['queries_per_scan']:7}  {row['runs_ms']}")
        for row in figures.values():
            print(f"  split at {row['patients']:,} (median ms): " + ", ".join(
                f"{name} {ms:.0f}" for name, ms in row["split_median_ms"].items()))
        print(f"\n  µs per patient at {scales[-1]:,} over {scales[0]:,}: {growth:.2f} "
              f"(goal <= {GOAL_GROWTH})")
        if scales[-1] == 5000:
            print(f"  scan of 5,000 patients: {large['median_ms']:.0f} ms (goal < {GOAL_SCAN_MS:.0f} ms)")
        for name, plan in plans.items():
            print(f"\n=== EXPLAIN (ANALYZE, BUFFERS) of the finding query: {name} ===\n{plan}")
        _common.write_json(args.output, {
            "argv": _common.command_argv(__file__), "at": dt.datetime.now(dt.UTC).isoformat(),
            "python": platform.python_version(), "machine": _common.machine(),
            "load_average": {"before": load_before, "after": _common.load_average()},
            "publish": "broker publish stubbed (excluded); the enqueued_at UPDATE is included",
            "scales": figures, "growth_per_patient": round(growth, 2), "plans": plans,
            "goals": {"scan_5000_ms_max": GOAL_SCAN_MS, "growth_max": GOAL_GROWTH,
                      "scan_met": scales[-1] != 5000 or large["median_ms"] < GOAL_SCAN_MS,
                      "growth_met": growth <= GOAL_GROWTH},
        })
        print(f"\nWritten to {_common.shown(args.output)}")
        return 0
    finally:
        if state.get("postgres_database"):
            _common.drop_database(state["postgres"], state["postgres_database"])
            print(f"Dropped {state['postgres_database']}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
