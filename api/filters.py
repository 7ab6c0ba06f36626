"""The list filters shared by the views over one course's data."""

from __future__ import annotations

from django.db.models import Choices, Model
from django_filters import rest_framework as filters


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
