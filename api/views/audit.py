from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import AuditedMixin
from api.filters import InstantFilter
from api.serializers import AuditEventSerializer
from tracker import access
from tracker.access import Action
from tracker.models import AuditEvent


class AuditEventFilter(filters.FilterSet):
    patient = filters.UUIDFilter(field_name="patient_id")
    actor = filters.UUIDFilter(field_name="actor_id")
    since = InstantFilter(field_name="at", lookup_expr="gte")
    until = InstantFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["patient", "actor", "since", "until"]


class AuditEventViewSet(AuditedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who read or changed what: administrators see all, a physician their patients' events."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    audit_object_type = "audit_event"
    required_actions = {"list": Action.AUDIT_READ}

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        return access.audit_scope(self.user, AuditEvent.objects.all())

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        self.audit.touch("audit_event")
        response = super().list(request, *args, **kwargs)
        # Reading one patient's trail is a read of her record: it is on her trail too. The filter
        # has refused by now a patient that is not an id.
        if patient := request.query_params.get("patient"):
            self.audit.retarget("audit_event", "", uuid.UUID(patient))
        return response
