"""Tend's output serializers read fields their own, faster way: the output must be DRF's, exactly."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Prefetch
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from api import serializers as api_serializers
from tracker.models import Photo, Review, User


def output_serializers() -> list[type[api_serializers.ModelSerializer]]:
    found, pending = [], [api_serializers.ModelSerializer]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return [cls for cls in found if cls.__module__ == "api.serializers" and hasattr(cls, "Meta")]


class _Sink:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


@pytest.fixture
def demo(db: Any) -> None:
    """The demo clinic: a course with every kind of record, photos, reviews, alerts, a report."""
    call_command("seed_demo", "--force", stdout=_Sink())


def instances(model: type, limit: int = 40) -> list[Any]:
    queryset = model.objects.all()
    if model is Photo:
        queryset = queryset.prefetch_related(
            Prefetch("reviews", queryset=Review.objects.order_by("-created_at")))
    if hasattr(model, "care_team"):
        queryset = queryset.prefetch_related("care_team")
    return list(queryset[:limit])


def test_every_output_serializer_gives_what_drf_gives(demo: Any) -> None:
    request = APIRequestFactory().get("/api/v1/")
    checked = 0
    for serializer_class in output_serializers():
        rows = instances(serializer_class.Meta.model)
        for context in ({}, {"request": request}):
            if context:
                request.user = User.objects.filter(role="nurse").first()
            for row in rows:
                try:
                    drf = serializers.ModelSerializer.to_representation(
                        serializer_class(row, context=context), row)
                except AttributeError:  # a schema-only serializer (the created patient's code)
                    with pytest.raises(AttributeError):
                        serializer_class(row, context=context).to_representation(row)
                    continue
                ours = serializer_class(row, context=context).to_representation(row)
                assert ours == drf, serializer_class.__name__
                checked += 1
    # Every kind the demo holds was compared, a few hundred objects in all.
    assert checked > 200


def test_nulls_foreign_keys_and_voided_records_read_the_same(demo: Any) -> None:
    from tracker.models import Application

    record = Application.objects.first()
    record.entered_in_error_at = record.applied_at
    record.entered_in_error_by = User.objects.filter(role="nurse").first()
    record.entered_in_error_reason = "Wrong day."
    record.notes = ""
    for row in (record, Application.objects.last()):
        fast = api_serializers.ApplicationSerializer(row).data
        drf = serializers.ModelSerializer.to_representation(api_serializers.ApplicationSerializer(row), row)
        assert fast == drf
    assert fast["entered_in_error"] is False and api_serializers.ApplicationSerializer(record).data[
        "entered_in_error"] is True
