"""A demo clinic on the published case: a physician, a nurse and an 80-year-old patient (fictional)
on topical 10 % sodium thiosulfate after excisional debridement of calcified nodules of the thigh."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from tracker import clock
from tracker.models import Role, User
from tracker.services import courses, people, records

TZ = "America/Denver"
WEEKS = 8
LOGINS = {
    "admin": ("tend-demo-admin", Role.ADMIN, "Clinic Administrator"),
    "dr.alvarez": ("tend-demo-physician", Role.PHYSICIAN, "Dr. Marta Alvarez"),
    "nurse.okafor": ("tend-demo-nurse", Role.NURSE, "Grace Okafor, RN"),
    "helen": ("tend-demo-patient", Role.PATIENT, "Helen Mercer"),
}
# Days of the course (0 = first day) skipped with a reason, and days with nothing logged.
SKIPPED = {9: "Visiting my daughter, forgot the cream", 23: "Skin felt too sore",
           38: "Ran out of the emulsion until the pharmacy refilled it"}
NOTHING_LOGGED = {30, 31}


class Command(BaseCommand):
    help = "Create the demo clinic (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo makes accounts with published passwords: it runs only "
                               "with DJANGO_DEBUG=1, or with --force.")
        if User.objects.filter(username="dr.alvarez").exists():
            self.stdout.write("The demo clinic is already there.")
        else:
            self._seed()
            self.stdout.write(self.style.SUCCESS("Demo clinic created."))
        self.stdout.write("Demo logins (username / password):")
        for username, (password, role, _) in LOGINS.items():
            self.stdout.write(f"  {role:<9}  {username:<13} {password}")

    @transaction.atomic
    def _seed(self) -> None:
        rng = random.Random(2021)  # the same demo every time
        password, _, name = LOGINS["admin"]
        if not User.objects.filter(username="admin").exists():  # createsuperuser may have made one
            User.objects.create_superuser("admin", None, password, display_name=name)
        physician = people.staff_create(username="dr.alvarez", password=LOGINS["dr.alvarez"][0],
                                        role=Role.PHYSICIAN, display_name=LOGINS["dr.alvarez"][2])
        nurse = people.staff_create(username="nurse.okafor", password=LOGINS["nurse.okafor"][0],
                                    role=Role.NURSE, display_name=LOGINS["nurse.okafor"][2])
        patient, code = people.patient_create(created_by=physician, display_name="Helen Mercer",
                                              birth_year=timezone.now().year - 80,
                                              timezone_name=TZ, language="en")
        people.care_team_add(patient=patient, staff_id=nurse.pk, added_by=physician)
        helen = people.patient_activate(activation_code=code, username="helen",
                                password=LOGINS["helen"][0])

        today = clock.today_in(TZ)
        start = today - dt.timedelta(weeks=WEEKS)
        course, _ = courses.course_create(patient=patient, prescribed_by=physician, data={
            "medication": "Sodium thiosulfate", "concentration_percent": 10,
            "vehicle": "Oil-in-water emulsion", "body_site": "Left lateral thigh",
            "applications_per_day": 1, "start_date": start, "end_date": None,
            "instructions": "Apply a thin layer over the ulcer and the nodules once a day, in the "
                            "evening, after cleansing with saline. Cover with a non-adherent "
                            "dressing.",
        })
        zone = clock.zone(TZ)

        def at(day: dt.date, hour: int, minute: int) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(hour, minute), zone)

        records.record_create(kind=records.DEBRIDEMENT, recorded_by=physician, course=course, data={
            "performed_at": at(start - dt.timedelta(days=1), 10, 30), "method": "excisional",
            "nodules_removed": 4, "specimen_sent": True,
            "notes": "Excision of the larger calcified nodules at the distal scar; "
                     "histology: dermal calcification and fibrosis.",
        })
        for n, day in enumerate(clock.days(start, today - dt.timedelta(days=1))):
            progress = n / (WEEKS * 7)
            if n not in NOTHING_LOGGED:
                data: dict[str, Any] = {"applied_at": at(day, 20, rng.randint(0, 50)),
                                        "status": "applied"}
                if n in SKIPPED:
                    data.update(status="skipped", skip_reason=SKIPPED[n])
                records.record_create(kind=records.APPLICATION, recorded_by=helen,
                                      course=course, data=data)
            if n % 2 == 0:
                pain = max(0, min(10, round(6 - 4 * progress + rng.uniform(-1, 1))))
                itch = max(0, min(10, round(5 - 3.5 * progress + rng.uniform(-1, 1))))
                records.record_create(kind=records.SYMPTOM, recorded_by=helen,
                                      course=course, data={
                    "recorded_at": at(day, 20, 55), "pain": pain, "itch": itch,
                    "drainage": "clear" if progress < 0.3 else "none",
                })
        records.record_create(kind=records.DEBRIDEMENT, recorded_by=nurse, course=course, data={
            "performed_at": at(start + dt.timedelta(weeks=4), 11, 0), "method": "sharp",
            "nodules_removed": 1, "specimen_sent": False,
            "notes": "Small chalky fragment lifted from the ulcer base at the 4-week visit.",
        })
