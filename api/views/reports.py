from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request

from api.base import TendViewSet, private_file
from api.serializers import ReportSerializer
from tracker.models import Report, ReportStatus
from tracker.services.reports import report_pdf


class ReportFilter(filters.FilterSet):
    course = filters.UUIDFilter(field_name="course_id")
    patient = filters.UUIDFilter(field_name="patient_id")
    status = filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = Report
        fields = ["course", "patient", "status"]


class ReportViewSet(TendViewSet):
    """Progress reports of the user's patients; a patient reads her own."""

    model = Report
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    audit_object_type = "report"
    http_method_names = ["get", "head", "options"]

    def base_queryset(self) -> QuerySet[Report]:
        return Report.objects.all()

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="The PDF")})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str) -> FileResponse:
        self.audit.action = "read_pdf"
        report = self.get_object()
        handle, size = report_pdf(report)
        return private_file(handle, size, content_type="application/pdf",
                            filename=f"tend-report-{report.pk}.pdf")
