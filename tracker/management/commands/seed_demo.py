"""A demo clinic on the published case: a physician, a nurse and an 80-year-old patient (fictional)
on topical 10 % sodium thiosulfate after excisional debridement of calcified nodules of the thigh."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter

from tracker import clock
from tracker.models import Photo, Role, User
from tracker.services import courses, people, photos, records, reports, reviews

TZ = "America/Denver"
WEEKS = 8
LOGINS = {
    "admin": ("tend-demo-admin", Role.ADMIN, "Clinic Administrator"),
    "dr.alvarez": ("tend-demo-physician", Role.PHYSICIAN, "Dr. Marta Alvarez"),
    "nurse.okafor": ("tend-demo-nurse", Role.NURSE, "Grace Okafor, RN"),
    "helen": ("tend-demo-patient", Role.PATIENT, "Helen Mercer"),
    # Her daughter, whom she invited as a caregiver: she logs an application when she visits.
    "clara": ("tend-demo-caregiver", Role.CAREGIVER, "Clara Mercer"),
}
# Days of the course (0 = first day) skipped with a reason, and days with nothing logged.
SKIPPED = {9: "Visiting my daughter, forgot the cream", 23: "Skin felt too sore",
           38: "Ran out of the emulsion until the pharmacy refilled it"}
NOTHING_LOGGED = {30, 31}
# The Sundays on which Clara, visiting, logged the application for her mother.
BY_CLARA = set(range(16, WEEKS * 7, 7)) - set(SKIPPED) - NOTHING_LOGGED


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
                                        role=Role.PHYSICIAN, display_name=LOGINS["dr.alvarez"][2],
                                        email="m.alvarez@clinic.example.org")
        nurse = people.staff_create(username="nurse.okafor", password=LOGINS["nurse.okafor"][0],
                                    role=Role.NURSE, display_name=LOGINS["nurse.okafor"][2],
                                    email="g.okafor@clinic.example.org")
        patient, code = people.patient_create(created_by=physician, display_name="Helen Mercer",
                                              birth_year=timezone.now().year - 80,
                                              timezone_name=TZ, language="en",
                                              care_team_name="Wound clinic, Denver Health",
                                              # A number of the range kept for fiction.
                                              care_team_phone="+1 303 555 0142")
        people.care_team_add(patient=patient, staff_id=nurse.pk, added_by=physician)
        helen = people.patient_activate(activation_code=code, username="helen",
                                password=LOGINS["helen"][0])
        _, clara_code = people.caregiver_invite(patient=patient, display_name=LOGINS["clara"][2],
                                                relationship="daughter", invited_by=helen)
        clara = people.patient_activate(activation_code=clara_code, username="clara",
                                        password=LOGINS["clara"][0])

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
                records.record_create(kind=records.APPLICATION,
                                      recorded_by=clara if n in BY_CLARA else helen,
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
        self._photos(course, helen=helen, nurse=nurse, start=start, at=at, rng=rng)
        # A ready progress report of the eight weeks, rendered here so it is there at once.
        report, _ = reports.report_request(course=course, requested_by=physician)
        reports.report_render(report_id=report.pk)

    def _photos(self, course: Any, *, helen: User, nurse: User, start: dt.date, at: Any,
                rng: random.Random) -> None:
        """A weekly photo of the slowly healing ulcer; the nurse has measured all but the last,
        which waits in her review queue."""
        for week in range(WEEKS + 1):
            day = min(start + dt.timedelta(weeks=week), clock.today_in(TZ) - dt.timedelta(days=1))
            shrink = 1 - 0.55 * week / WEEKS
            photo, _ = photos.photo_upload(
                course=course, uploaded_by=helen, data=_wound_jpeg(shrink, rng),
                taken_at=at(day, 19, 30), note="Evening photo before applying the cream.",
            )
            photos.photo_process(photo_id=photo.pk)
            if week == WEEKS:
                continue
            length = round(3.4 * shrink + rng.uniform(-0.1, 0.1), 1)
            width = round(2.2 * shrink + rng.uniform(-0.1, 0.1), 1)
            reviews.review_create(photo=Photo.objects.get(pk=photo.pk), reviewer=nurse, data={
                "length_cm": Decimal(str(length)), "width_cm": Decimal(str(width)),
                "exudate": "moderate" if week < 2 else "light" if week < 5 else "none",
                "tissue_type": "slough" if week < 2 else "granulation",
                "signs_of_infection": False, "flag_for_physician": False,
                "comment": COMMENTS.get(week, ""),
            })


COMMENTS = {
    0: "Ulcer at the distal scar with chalky white material at the base; firm nodules around it.",
    3: "Less chalky debris; granulation tissue at the edges.",
    6: "Smaller and shallower; surrounding erythema fading.",
}


def _wound_jpeg(scale: float, rng: random.Random) -> bytes:
    """A drawn stand-in for a wound photo: skin, a scar line, and an ulcer of the given relative
    size with pale calcified flecks. (The demo has no real photos of a real patient.)"""
    width, height = 1200, 900
    image = Image.new("RGB", (width, height), (214, 170, 142))
    draw = ImageDraw.Draw(image)
    draw.line([(150, 470), (1050, 430)], fill=(190, 130, 120), width=10)
    rx, ry = 260 * scale, 170 * scale
    cx, cy = 640, 450
    draw.ellipse([cx - rx - 40, cy - ry - 30, cx + rx + 40, cy + ry + 30], fill=(205, 120, 110))
    draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=(160, 45, 50))
    for _ in range(int(30 * scale) + 3):
        x, y = cx + rng.uniform(-rx, rx) * 0.7, cy + rng.uniform(-ry, ry) * 0.7
        draw.ellipse([x - 6, y - 5, x + 6, y + 5], fill=(236, 232, 222))
    image = image.filter(ImageFilter.GaussianBlur(2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()
