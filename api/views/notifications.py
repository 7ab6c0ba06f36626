"""Web Push: the server's public key, a user's own subscriptions, and a test message."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import AuditedAPIView, AuditedMixin
from api.serializers import (
    PublicKeySerializer,
    PushDeliverySerializer,
    PushSubscriptionInputSerializer,
    PushSubscriptionSerializer,
)
from tracker import access, push
from tracker.access import Action
from tracker.models import PushSubscription
from tracker.services import notifications


class PushUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Notifications are not set up on this server (no VAPID key)."


class PushPublicKeyView(AuditedAPIView):
    """The VAPID application server key that `pushManager.subscribe` takes."""

    audit_object_type = "push_key"

    @extend_schema(responses={200: PublicKeySerializer})
    def get(self, request: Request) -> Response:
        try:
            return Response({"public_key": push.vapid_public_key()})
        except push.PushNotConfigured:
            raise PushUnavailable() from None


class PushSubscriptionViewSet(AuditedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A user's own push subscriptions: her phone, her tablet. Nobody sees another's."""

    serializer_class = PushSubscriptionSerializer
    audit_object_type = "push_subscription"
    http_method_names = ["get", "post", "delete", "head", "options"]
    required_actions = {"list": Action.PUSH_SUBSCRIBE, "create": Action.PUSH_SUBSCRIBE,
                        "destroy": Action.PUSH_SUBSCRIBE, "test": Action.PUSH_SUBSCRIBE}
    audit_actions = {"destroy": "delete", "test": "push_test"}

    def get_queryset(self) -> QuerySet[PushSubscription]:
        if getattr(self, "swagger_fake_view", False):
            return PushSubscription.objects.none()
        return PushSubscription.objects.filter(user=self.user).order_by("-created_at")

    def _patient_id(self) -> uuid.UUID | None:
        patient = access.acting_for(self.user)
        return patient.pk if patient else None

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        self.audit.touch("push_subscription", "", self._patient_id())
        return self.get_paginated_response(PushSubscriptionSerializer(page, many=True).data)

    @extend_schema(request=PushSubscriptionInputSerializer,
                   responses={201: PushSubscriptionSerializer, 200: PushSubscriptionSerializer})
    def create(self, request: Request) -> Response:
        values = self.validated(PushSubscriptionInputSerializer)
        subscription, created = notifications.subscription_save(
            user=self.user, endpoint=values["endpoint"], p256dh=values["keys"]["p256dh"],
            auth=values["keys"]["auth"])
        self.audit.touch("push_subscription", subscription.pk, self._patient_id())
        return Response(PushSubscriptionSerializer(subscription).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def destroy(self, request: Request, pk: str) -> Response:
        self.audit.touch("push_subscription", pk, self._patient_id())
        subscription_id = _uuid_or_none(pk)
        try:
            if subscription_id is None:
                raise PushSubscription.DoesNotExist
            notifications.subscription_delete(user=self.user, subscription_id=subscription_id)
        except PushSubscription.DoesNotExist:
            raise exceptions.NotFound() from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: PushDeliverySerializer(many=True)})
    @action(detail=False, methods=["post"])
    def test(self, request: Request) -> Response:
        """Send a test notification to each of the user's own devices."""
        if not push.push_configured():
            raise PushUnavailable()
        deliveries = notifications.test_send(user=self.user)
        self.audit.touch("push_subscription", "", self._patient_id())
        return Response(PushDeliverySerializer(deliveries, many=True).data,
                        status=status.HTTP_202_ACCEPTED)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
