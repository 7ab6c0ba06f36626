"""The list filters shared by the views over one course's data."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Choices, Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField


def course_filters(model: type[Model], statuses: type[Choices] | None = None
                   ) -> type[filters.FilterSet]:
    """`?course=` and `?patient=` (ids, a malformed one is a 400 naming it), and `?status=`
    when the model has statuses."""
    declared: dict[str, object] = {
        "course": filters.UUIDFilter(field_name="course_id"),
        "patient": filters.UUIDFilter(field_name="patient_id"),
    }
    if statuses is not None:
        declared["status"] = filters.ChoiceFilter(choices=statuses.choices)
    meta = type("Meta", (), {"model": model, "fields": list(declared)})
    return type(f"{model.__name__}Filter", (filters.FilterSet,), {"Meta": meta, **declared})


class _InstantField(IsoDateTimeField):
    """An instant as every write field takes one: ISO 8601 with its offset, which is refused when
    it is missing (a naive time means nothing) and otherwise turned into UTC here, so no offset
    reaches the database (PostgreSQL takes offsets up to ±15:59 only)."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-11-29T20:15:00-07:00.",
        "overflow": "This time has no UTC equivalent.",
    }

    def to_python(self, value: object) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        parsed = parse_datetime(str(value).strip())
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(parsed):
            raise ValidationError(self.error_messages["naive"], code="naive")
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["overflow"], code="overflow") from None


class InstantFilter(filters.IsoDateTimeFilter):
    field_class = _InstantField
