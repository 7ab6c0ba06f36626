from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import TendViewSet
from api.filters import course_filters
from api.permissions import ALL
from api.serializers import AcknowledgeSerializer, AlertSerializer
from tracker.access import Action
from tracker.models import Alert, AlertStatus
from tracker.selectors.alerts import alerts_with_causes
from tracker.services.alerts import alert_acknowledge


class AlertViewSet(TendViewSet):
    """Alerts on the user's patients, for the care team (staff only)."""

    model = Alert
    serializer_class = AlertSerializer
    filterset_class = course_filters(Alert, AlertStatus)
    audit_object_type = "alert"
    http_method_names = ["get", "post", "head", "options"]
    # Alerts are the care team's: every route, before any lookup.
    required_actions = {ALL: Action.ALERT_READ}

    def base_queryset(self) -> QuerySet[Alert]:
        return alerts_with_causes()

    @extend_schema(request=AcknowledgeSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        """Acknowledge an alert, with an optional note; the first acknowledgement is kept."""
        alert = alert_acknowledge(alert=self.get_object(), by=self.user,
                                  note=self.validated(AcknowledgeSerializer).get("note", ""))
        return Response(AlertSerializer(self.base_queryset().get(pk=alert.pk)).data)
