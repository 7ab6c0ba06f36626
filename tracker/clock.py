"""Time in the patient's world: UTC instants mapped to the patient's calendar days."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.utils import timezone

from tracker.errors import field_error


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    if name not in _known_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(instant: dt.datetime, tz_name: str) -> dt.date:
    """The calendar day, in that zone, on which this instant fell."""
    return instant.astimezone(zone(tz_name)).date()


def today_in(tz_name: str, *, now: dt.datetime | None = None) -> dt.date:
    return local_date(now or timezone.now(), tz_name)


def ensure_not_future(field: str, instant: dt.datetime, *, now: dt.datetime | None = None) -> None:
    tolerance = dt.timedelta(seconds=settings.TEND_FUTURE_TOLERANCE_SECONDS)
    if instant > (now or timezone.now()) + tolerance:
        minutes = settings.TEND_FUTURE_TOLERANCE_SECONDS // 60
        raise field_error(field, f"This time is more than {minutes} minutes in the future.")


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
