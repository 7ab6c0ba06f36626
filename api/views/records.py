"""Applications, symptom entries and debridements: create (idempotent), correct, void, history."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import TendViewSet
from api.filters import course_filters
from api.serializers import (
    ApplicationInputSerializer,
    ApplicationSerializer,
    DebridementInputSerializer,
    DebridementSerializer,
    RecordVersionSerializer,
    SymptomInputSerializer,
    SymptomSerializer,
    VoidSerializer,
)
from tracker.access import Action
from tracker.models import Application, Debridement, SymptomEntry
from tracker.record_kinds import RecordKind
from tracker.services import records


def record_writes(action: Action) -> dict[str, Action]:
    """What a record viewset's writes require: one action for creating, correcting and voiding."""
    return {"create": action, "partial_update": action, "entered_in_error": action}


class RecordViewSet(TendViewSet):
    kind: ClassVar[RecordKind]
    input_serializer_class: ClassVar[type[serializers.Serializer]]
    # Records are never deleted: DELETE answers 405; PATCH corrects, entered-in-error voids.
    http_method_names = ["get", "post", "patch", "head", "options"]
    lists_by_course = True

    def base_queryset(self) -> QuerySet[Any]:
        # Each record answers who recorded it (the patient, her caregiver, a nurse): one join.
        return self.model._default_manager.select_related("recorded_by")

    def create(self, request: Request) -> Response:
        values = self.validated(self.input_serializer_class)
        course, record_id = values.pop("course"), values.pop("id", None)
        self.audit.touch(self.audit_object_type, record_id or "", course.patient_id)
        record, created = records.record_create(kind=self.kind, recorded_by=self.user, course=course,
                                                record_id=record_id, data=values)
        self.audit.retarget(self.audit_object_type, record.pk, record.patient_id)
        return Response(self.get_serializer(record).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def partial_update(self, request: Request, pk: str) -> Response:
        record = self.get_object()
        changes = self.validated(self.input_serializer_class, partial_update=True)
        record = records.record_update(kind=self.kind, record=record, changed_by=self.user,
                                       changes=changes)
        return Response(self.get_serializer(record).data)

    @extend_schema(request=VoidSerializer)
    @action(detail=True, methods=["post"], url_path="entered-in-error")
    def entered_in_error(self, request: Request, pk: str) -> Response:
        record = self.get_object()
        record = records.record_void(kind=self.kind, record=record, voided_by=self.user,
                                     reason=self.validated(VoidSerializer)["reason"])
        return Response(self.get_serializer(record).data)

    @extend_schema(responses={200: RecordVersionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str) -> Response:
        """Every earlier version: who changed what, and when."""
        return self.versions_response(self.kind.object_type, self.get_object().pk)


class ApplicationViewSet(RecordViewSet):
    kind = records.APPLICATION
    required_actions = record_writes(Action.APPLICATION_WRITE)
    model = Application
    serializer_class = ApplicationSerializer
    input_serializer_class = ApplicationInputSerializer
    filterset_class = course_filters(Application)
    audit_object_type = "application"


class SymptomViewSet(RecordViewSet):
    kind = records.SYMPTOM
    required_actions = record_writes(Action.SYMPTOM_WRITE)
    model = SymptomEntry
    serializer_class = SymptomSerializer
    input_serializer_class = SymptomInputSerializer
    filterset_class = course_filters(SymptomEntry)
    audit_object_type = "symptom"


class DebridementViewSet(RecordViewSet):
    kind = records.DEBRIDEMENT
    required_actions = record_writes(Action.DEBRIDEMENT_WRITE)
    model = Debridement
    serializer_class = DebridementSerializer
    input_serializer_class = DebridementInputSerializer
    filterset_class = course_filters(Debridement)
    audit_object_type = "debridement"
