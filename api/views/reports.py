from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request

from api.base import TendViewSet, private_file
from api.filters import course_filters
from api.serializers import ReportSerializer
from tracker.models import Report, ReportStatus
from tracker.services.reports import report_pdf


class ReportViewSet(TendViewSet):
    """Progress reports of the user's patients; a patient reads her own."""

    model = Report
    serializer_class = ReportSerializer
    filterset_class = course_filters(Report, ReportStatus)
    audit_object_type = "report"
    http_method_names = ["get", "head", "options"]
    audit_actions = {"pdf": "read_pdf"}

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="The PDF")})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str) -> FileResponse:
        report = self.get_object()
        handle, size = report_pdf(report)
        return private_file(handle, size, content_type="application/pdf",
                            filename=f"tend-report-{report.pk}.pdf")
