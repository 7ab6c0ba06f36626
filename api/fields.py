from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from rest_framework import serializers


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset in; UTC with Z out. A time without an offset is ambiguous: refused."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-11-29T20:15:00-07:00.",
    }

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:  # 0001-01-01T00:00+14:00 has no UTC time
            self.fail("overflow")


class StrictBooleanField(serializers.BooleanField):
    """true or false only: "maybe", "yes" or 2 are not answers to a yes/no warning sign."""

    TRUE_VALUES = {True}
    FALSE_VALUES = {False}
    NULL_VALUES: set[Any] = set()

    def to_internal_value(self, data: Any) -> bool:
        # 1 == True and 0 == False in Python, so the sets above alone would take 1 and 0.
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON number without a fraction; "7" or 7.5 are refused rather than coerced."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(int(data))


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a string: 12 or true are not ids (DRF would turn them into UUIDs)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)
