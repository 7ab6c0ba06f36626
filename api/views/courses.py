"""Treatment courses: prescription, changes, adherence and the timeline of a course."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import TendViewSet
from api.serializers import (
    AdherenceSerializer,
    CourseCreateSerializer,
    CourseSerializer,
    CourseUpdateSerializer,
    PeriodSerializer,
    PushDeliverySerializer,
    RecordVersionSerializer,
    ReminderSettingsInputSerializer,
    ReminderSettingsSerializer,
    ReportRequestSerializer,
    ReportSerializer,
    TimelineEntrySerializer,
)
from tracker.access import Action
from tracker.models import CourseStatus, PushDelivery, PushKind, TreatmentCourse
from tracker.selectors.adherence import course_adherence
from tracker.selectors.timeline import CourseTimeline
from tracker.services import courses, reminders, reports


class CourseFilter(filters.FilterSet):
    patient = filters.UUIDFilter(field_name="patient_id")
    status = filters.ChoiceFilter(choices=CourseStatus.choices)

    class Meta:
        model = TreatmentCourse
        fields = ["patient", "status"]


class CourseViewSet(TendViewSet):
    model = TreatmentCourse
    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    audit_object_type = "course"
    # PUT only for a course's reminder times: a course itself is changed by PATCH.
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    required_actions = {"create": Action.COURSE_PRESCRIBE, "partial_update": Action.COURSE_CHANGE,
                        "reports": Action.REPORT_REQUEST,
                        "reminders_update": Action.REMINDER_CHANGE,
                        "reminder_deliveries": Action.DELIVERY_READ}
    audit_actions = {"reports": "report_request", "reminders": "reminders_read",
                     "reminders_update": "reminders_update",
                     "reminder_deliveries": "reminder_deliveries_list"}

    def base_queryset(self) -> QuerySet[TreatmentCourse]:
        return TreatmentCourse.objects.select_related("patient")

    @extend_schema(request=CourseCreateSerializer, responses={201: CourseSerializer})
    def create(self, request: Request) -> Response:
        values = self.validated(CourseCreateSerializer)
        patient, course_id = values.pop("patient"), values.pop("id", None)
        previous = values.pop("previous_course", None) or {}
        self.audit.touch("course", course_id or "", patient.pk)
        course, created = courses.course_create(
            patient=patient, prescribed_by=self.user, course_id=course_id, data=values,
            previous=previous.get("id"), previous_status=previous.get("status"))
        self.audit.retarget("course", course.pk, course.patient_id)
        return Response(CourseSerializer(course).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=CourseUpdateSerializer, responses={200: CourseSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        course = courses.course_update(course=self.get_object(), changed_by=self.user,
                                       changes=self.validated(CourseUpdateSerializer))
        return Response(CourseSerializer(course).data)

    @extend_schema(parameters=[OpenApiParameter("start", str), OpenApiParameter("end", str)],
                   responses={200: AdherenceSerializer})
    @action(detail=True, methods=["get"])
    def adherence(self, request: Request, pk: str) -> Response:
        course = self.get_object()
        period = self.validated(PeriodSerializer, request.query_params.dict())
        result = course_adherence(course=course, start=period.get("start"), end=period.get("end"))
        return Response(AdherenceSerializer(result).data)

    @extend_schema(responses={200: TimelineEntrySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str) -> Response:
        page = self.page_of(CourseTimeline(self.get_object()))
        return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)

    @extend_schema(responses={200: RecordVersionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str) -> Response:
        return self.versions_response("course", self.get_object().pk)

    @extend_schema(request=ReportRequestSerializer, responses={202: ReportSerializer})
    @action(detail=True, methods=["post"])
    def reports(self, request: Request, pk: str) -> Response:
        """Ask for a progress report of the course (default period: its first day to today)."""
        course = self.get_object()
        values = self.validated(ReportRequestSerializer)
        report, created = reports.report_request(
            course=course, requested_by=self.user, report_id=values.get("id"),
            period_start=values.get("period_start"), period_end=values.get("period_end"),
        )
        return Response(ReportSerializer(report, context=self.get_serializer_context()).data,
                        status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)

    @extend_schema(responses={200: ReminderSettingsSerializer})
    @action(detail=True, methods=["get"])
    def reminders(self, request: Request, pk: str) -> Response:
        """The course's reminder times, wall-clock times in the patient's zone."""
        return Response(reminders.reminder_settings(self.get_object()))

    @extend_schema(request=ReminderSettingsInputSerializer,
                   responses={200: ReminderSettingsSerializer})
    @reminders.mapping.put
    def reminders_update(self, request: Request, pk: str) -> Response:
        """Set the reminder times (the patient, her caregiver, or her care team)."""
        course = self.get_object()
        values = self.validated(ReminderSettingsInputSerializer)
        return Response(reminders.reminders_set(course=course, enabled=values["enabled"],
                                                times=values["times"], by=self.user))

    @extend_schema(responses={200: PushDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="reminders/deliveries")
    def reminder_deliveries(self, request: Request, pk: str) -> Response:
        """Every reminder message of the course and what became of it, newest first."""
        course = self.get_object()
        deliveries = (PushDelivery.objects.filter(course=course, kind=PushKind.REMINDER)
                      .select_related("occurrence").order_by("-created_at"))
        page = self.page_of(deliveries)
        return self.get_paginated_response(PushDeliverySerializer(page, many=True).data)
