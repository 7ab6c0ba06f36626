"""What every Tend API view shares: audit of each request, care-team scoping, 404 for the unseen.

Every request to a view built on `TendViewSet` or `AuditedAPIView` leaves audit events: one for each
object (or, for a list, each patient) it touched, with the outcome, including denied attempts. A
write and its audit events commit together; a failed write leaves only its audit event.
"""

from __future__ import annotations

import contextlib
import ipaddress
import uuid
from typing import Any, ClassVar, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from rest_framework import exceptions, serializers, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import RecordVersionSerializer
from tracker import access
from tracker.models import RecordVersion, User
from tracker.services.audit import AuditContext, AuditTrail, audit_events_record


def private_file(handle: Any, size: int, *, content_type: str, filename: str) -> FileResponse:
    """A stored file streamed to one authorized user: never cached by a browser or a proxy."""
    response = FileResponse(handle, content_type=content_type)
    response["Content-Length"] = str(size)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the entry the trusted proxies put in front of it."""
    proxies = settings.TEND_TRUSTED_PROXY_COUNT
    candidate = request.META.get("REMOTE_ADDR", "")
    if proxies:
        forwarded = [part.strip() for part in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


_METHOD_ACTIONS = {"GET": "read", "HEAD": "read", "POST": "create", "PATCH": "update",
                   "PUT": "update", "DELETE": "delete", "OPTIONS": "options"}
# A viewset's action as the audit trail names it, where the two differ; `audit_actions` on a
# viewset adds its own. An action named in neither is audited under its own name.
_AUDIT_ACTIONS = {"list": "list", "retrieve": "read", "create": "create", "partial_update": "update"}


class AuditedMixin(APIView):
    """Audit each request; keep a write and its events in one transaction.

    On a viewset, `required_actions` declares what the user's role must allow for each action
    (api.permissions.RoleAllows checks it), and `audit_actions` how the trail names an action.
    """

    audit_object_type: ClassVar[str] = ""
    required_actions: ClassVar[dict[str, access.Action]] = {}
    audit_actions: ClassVar[dict[str, str]] = {}
    audit: AuditTrail

    @property
    def user(self) -> User:
        """The signed-in user: every audited view but signing in requires one (IsAuthenticated)."""
        return cast(User, self.request.user)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Named before authentication and permissions run, so a 401 or 403 is on the trail as the
        # action it refused.
        if action := getattr(self, "action", None):
            self.audit.action = self.audit_actions.get(action) or _AUDIT_ACTIONS.get(action, action)
        super().initial(request, *args, **kwargs)

    def validated(self, serializer_class: type[serializers.Serializer], data: Any = None,
                  **kwargs: Any) -> dict[str, Any]:
        """The request body (or `data`) checked by an input serializer: its values, or a 400
        problem naming each bad field."""
        serializer = serializer_class(data=self.request.data if data is None else data,
                                      context={"request": self.request, "view": self}, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.audit = AuditTrail()
        try:
            if request.method in SAFE_METHODS:
                response = super().dispatch(request, *args, **kwargs)
                self._write_audit(request, response)
                return response
            with transaction.atomic():
                response = super().dispatch(request, *args, **kwargs)
                if response.status_code < 400:
                    self._write_audit(request, response)
                else:
                    # Nothing a rejected request sent is half-stored.
                    transaction.set_rollback(True)
        except Exception:
            # A crash (a bug: Django answers 500) is on the trail too, then re-raised to be logged.
            with contextlib.suppress(Exception):
                self._write_audit(request, _Crashed())
            raise
        if response.status_code >= 400:
            self._write_audit(request, response)
        return response

    def _write_audit(self, request: HttpRequest, response: Any) -> None:
        if request.method == "OPTIONS":
            return
        drf_request = getattr(self, "request", None)
        user = self.audit.actor or getattr(drf_request, "_user", None)
        if user is not None and not getattr(user, "is_authenticated", False):
            user = None
        context = AuditContext(
            actor=user, role=access.role_of(user) if user else "", ip=client_ip(request),
            request_id=getattr(request, "request_id", ""), method=request.method or "",
            path=request.path,
        )
        targets = self.audit.targets or []
        if not targets:
            self.audit.touch(self.audit_object_type, self.kwargs.get("pk", ""))
            targets = self.audit.targets
        action = self.audit.action or _METHOD_ACTIONS.get(request.method or "", "read")
        audit_events_record(context=context, action=action, status_code=response.status_code,
                            targets=targets)


class _Crashed:
    status_code = 500


class AuditedAPIView(AuditedMixin, APIView):
    pass


class TendViewSet(AuditedMixin, viewsets.GenericViewSet):
    """A viewset over patient data, scoped to the user's patients.

    `patient_path` is the lookup from the model to its Patient ("patient", "course__patient"), or
    "" when the model is Patient itself.
    """

    model: ClassVar[type[Model]]
    patient_path: ClassVar[str] = "patient"
    # A list of records of one course (`?course=`) is scoped through that course.
    lists_by_course: ClassVar[bool] = False

    def base_queryset(self) -> QuerySet[Any]:
        return self.model._default_manager.all()

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return self.base_queryset().none()
        if (course_id := self._listed_course()) is not None:
            return access.scope_to_course(self.user, self.base_queryset(), course_id)
        return access.scope_to_patients(self.user, self.base_queryset(), via=self.patient_path)

    def _listed_course(self) -> uuid.UUID | None:
        """The course a list of course records is filtered on (`?course=`), if valid; a bad
        value is left to the filter, which refuses it naming the field."""
        if not self.lists_by_course or self.action != "list":
            return None
        try:
            return uuid.UUID(self.request.query_params.get("course") or "")
        except ValueError:
            return None

    def patient_id_of(self, obj: Any) -> uuid.UUID | None:
        if not self.patient_path:
            return obj.pk
        *hops, last = self.patient_path.split("__")
        for hop in hops:
            obj = getattr(obj, hop)
        return getattr(obj, f"{last}_id")

    def get_object(self) -> Any:
        """The object of a detail route, among those the user may see (else 404); then whether
        her role may take this action on it (else 403). Either way it is on the trail."""
        pk = self.kwargs.get("pk", "")
        try:
            obj = get_object_or_404(self.filter_queryset(self.get_queryset()), pk=pk)
        except Http404:
            self.audit.touch(self.audit_object_type, pk, self._hidden_patient_id(pk))
            raise exceptions.NotFound() from None
        self.audit.touch(self.audit_object_type, obj.pk, self.patient_id_of(obj))
        self.check_object_permissions(self.request, obj)
        return obj

    def _hidden_patient_id(self, pk: str) -> uuid.UUID | None:
        """For the audit trail only: whose data a denied request was after, if it exists."""
        try:
            uuid.UUID(str(pk))
        except ValueError:
            return None
        return (self.model._default_manager.filter(pk=pk)
                .values_list(self.patient_path or "pk", flat=True).first())

    def page_of(self, items: Any) -> list[Any]:
        """The requested page of a queryset, or of any sequence that has len() and slices."""
        page = self.paginate_queryset(items)
        assert page is not None  # every list of Tend's is paginated
        return page

    def audit_page(self, objects: list[Any]) -> None:
        """A list touches each patient whose data it shows."""
        patients = dict.fromkeys(self.patient_id_of(obj) for obj in objects)
        for patient_id in patients:
            self.audit.touch(self.audit_object_type, "", patient_id)

    def versions_response(self, object_type: str, object_id: uuid.UUID) -> Response:
        """The earlier versions of a record, newest first, paginated like every list."""
        versions = RecordVersion.objects.filter(object_type=object_type, object_id=object_id)
        page = self.page_of(versions.order_by("-version"))
        return self.get_paginated_response(RecordVersionSerializer(page, many=True).data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.page_of(queryset)
        self.audit_page(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)
