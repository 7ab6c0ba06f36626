"""The baselines bench/http_load.py measures Tend against, mounted only by config.settings_bench.

Each does the same work as a Tend endpoint the way a first DRF tutorial would, with none of Tend's
obligations: no authentication, no care-team scoping, no audit event, no idempotency, no input
rules beyond the model's. They share the server, the database and the middleware with Tend.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from rest_framework import generics, pagination, permissions, serializers

from tracker.models import Application


def bare(request: HttpRequest) -> JsonResponse:
    """Django and the middleware, nothing else: the floor of any request."""
    return JsonResponse({"ok": True})


class NaiveApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Application
        fields = ["id", "course", "patient", "local_date", "notes", "recorded_by", "created_at",
                  "updated_at", "version", "entered_in_error_at", "entered_in_error_reason",
                  "applied_at", "status", "skip_reason"]


class NaivePagination(pagination.PageNumberPagination):
    page_size = 50


class _Naive:
    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    serializer_class = NaiveApplicationSerializer


class NaiveApplicationList(_Naive, generics.ListAPIView):
    """GET /bench/naive/applications/?course=<id>: a page of 50, newest first, with a count."""

    pagination_class = NaivePagination

    def get_queryset(self) -> QuerySet[Application]:
        queryset = Application.objects.order_by("-applied_at")
        course = self.request.query_params.get("course")
        return queryset.filter(course_id=course) if course else queryset


class NaiveApplicationCreate(_Naive, generics.CreateAPIView):
    """POST /bench/naive/applications/create/: the model's fields as sent, saved as they are."""

    queryset = Application.objects.all()
