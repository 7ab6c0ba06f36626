"""Applications, symptom entries and debridements: create (idempotent), correct, void, history."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import TendViewSet
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
from tracker import access
from tracker.access import Action
from tracker.models import Application, Debridement, SymptomEntry
from tracker.services import records
from tracker.services.records import RecordKind


def _filter_for(model: type) -> type[filters.FilterSet]:
    meta = type("Meta", (), {"model": model, "fields": ["course", "patient"]})
    return type(f"{model.__name__}Filter", (filters.FilterSet,), {
        "Meta": meta,
        "course": filters.UUIDFilter(field_name="course_id"),
        "patient": filters.UUIDFilter(field_name="patient_id"),
    })


class RecordViewSet(TendViewSet):
    kind: ClassVar[RecordKind]
    write_action: ClassVar[Action]
    input_serializer_class: ClassVar[type[serializers.Serializer]]
    # Records are never deleted: DELETE answers 405; PATCH corrects, entered-in-error voids.
    http_method_names = ["get", "post", "patch", "head", "options"]
    lists_by_course = True

    def base_queryset(self) -> QuerySet[Any]:
        return self.kind.model.objects.all()

    def _input(self, **kwargs: Any) -> serializers.Serializer:
        data = self.input_serializer_class(context=self.get_serializer_context(), **kwargs)
        data.is_valid(raise_exception=True)
        return data

    def create(self, request: Request) -> Response:
        access.require(request.user, self.write_action)  # type: ignore[arg-type]
        values = dict(self._input(data=request.data).validated_data)
        course, record_id = values.pop("course"), values.pop("id", None)
        self.audit.touch(self.audit_object_type, record_id or "", course.patient_id)
        record, created = records.record_create(
            kind=self.kind, recorded_by=request.user, course=course,  # type: ignore[arg-type]
            record_id=record_id, data=values,
        )
        self.audit.targets.clear()
        self.audit.touch(self.audit_object_type, record.pk, record.patient_id)
        return Response(self.get_serializer(record).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def partial_update(self, request: Request, pk: str) -> Response:
        record = self.get_object()
        access.require(request.user, self.write_action)  # type: ignore[arg-type]
        changes = dict(self._input(data=request.data, partial_update=True).validated_data)
        record = records.record_update(kind=self.kind, record=record, changed_by=request.user,  # type: ignore[arg-type]
                                       changes=changes)
        return Response(self.get_serializer(record).data)

    @extend_schema(request=VoidSerializer)
    @action(detail=True, methods=["post"], url_path="entered-in-error")
    def entered_in_error(self, request: Request, pk: str) -> Response:
        self.audit.action = "entered_in_error"
        record = self.get_object()
        access.require(request.user, self.write_action)  # type: ignore[arg-type]
        data = VoidSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = records.record_void(kind=self.kind, record=record, voided_by=request.user,  # type: ignore[arg-type]
                                     reason=data.validated_data["reason"])
        return Response(self.get_serializer(record).data)

    @extend_schema(responses={200: RecordVersionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str) -> Response:
        """Every earlier version: who changed what, and when."""
        return self.versions_response(self.kind.object_type, self.get_object().pk)


class ApplicationViewSet(RecordViewSet):
    kind = records.APPLICATION
    write_action = Action.APPLICATION_WRITE
    model = Application
    serializer_class = ApplicationSerializer
    input_serializer_class = ApplicationInputSerializer
    filterset_class = _filter_for(Application)
    audit_object_type = "application"


class SymptomViewSet(RecordViewSet):
    kind = records.SYMPTOM
    write_action = Action.SYMPTOM_WRITE
    model = SymptomEntry
    serializer_class = SymptomSerializer
    input_serializer_class = SymptomInputSerializer
    filterset_class = _filter_for(SymptomEntry)
    audit_object_type = "symptom"


class DebridementViewSet(RecordViewSet):
    kind = records.DEBRIDEMENT
    write_action = Action.DEBRIDEMENT_WRITE
    model = Debridement
    serializer_class = DebridementSerializer
    input_serializer_class = DebridementInputSerializer
    filterset_class = _filter_for(Debridement)
    audit_object_type = "debridement"
