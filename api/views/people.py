"""Staff accounts, patients, their activation and their care team."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import AuditedMixin, TendViewSet
from api.serializers import (
    ActivationCodeSerializer,
    CaregiverCreatedSerializer,
    CaregiverInputSerializer,
    CaregiverSerializer,
    CareTeamAddSerializer,
    CareTeamMemberSerializer,
    PatientCreatedSerializer,
    PatientInputSerializer,
    PatientOverviewSerializer,
    PatientSerializer,
    StaffCreateSerializer,
    StaffSerializer,
    StaffUpdateSerializer,
)
from tracker import access
from tracker.access import Action
from tracker.models import Caregiver, Patient, User
from tracker.selectors.overview import patients_overview
from tracker.services import people


class StaffViewSet(AuditedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The staff directory: administrators manage it; nurses and physicians read it."""

    serializer_class = StaffSerializer
    audit_object_type = "user"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_actions = {"list": Action.STAFF_READ, "create": Action.STAFF_CREATE,
                        "partial_update": Action.STAFF_MANAGE}

    def get_queryset(self) -> QuerySet[User]:
        users = User.objects.order_by("username")
        if getattr(self, "swagger_fake_view", False):
            return users.none()
        return access.staff_scope(self.user, users)

    @extend_schema(request=StaffCreateSerializer, responses={201: StaffSerializer})
    def create(self, request: Request) -> Response:
        user = people.staff_create(**self.validated(StaffCreateSerializer))
        self.audit.touch("user", user.pk)
        return Response(StaffSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StaffUpdateSerializer, responses={200: StaffSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        user = self.get_object()
        self.audit.touch("user", user.pk)
        user = people.staff_update(user=user, **self.validated(StaffUpdateSerializer))
        return Response(StaffSerializer(user).data)


class PatientViewSet(TendViewSet):
    model = Patient
    patient_path = ""
    serializer_class = PatientSerializer
    audit_object_type = "patient"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_actions = {"create": Action.PATIENT_CREATE, "partial_update": Action.PATIENT_UPDATE,
                        "care_team": Action.CARE_TEAM_ADD,
                        "activation_code": Action.PATIENT_ISSUE_ACTIVATION,
                        "caregivers": Action.CAREGIVER_READ,
                        "caregiver_invite": Action.CAREGIVER_INVITE}
    audit_actions = {"care_team": "care_team_add", "overview": "list",
                     "activation_code": "activation_code_issue", "caregivers": "caregivers_list",
                     "caregiver_invite": "caregiver_invite"}

    def base_queryset(self) -> QuerySet[Patient]:
        return Patient.objects.prefetch_related(
            # Only what CareTeamMemberSerializer shows: not every column of every colleague.
            Prefetch("care_team", queryset=User.objects.only("id", "username", "display_name", "role")
                     .order_by("username"))
        )

    @extend_schema(request=PatientInputSerializer, responses={201: PatientCreatedSerializer})
    def create(self, request: Request) -> Response:
        values = self.validated(PatientInputSerializer)
        patient, code = people.patient_create(created_by=self.user,
                                              timezone_name=values.pop("timezone"), **values)
        self.audit.touch("patient", patient.pk, patient.pk)
        patient = self.base_queryset().get(pk=patient.pk)
        body = PatientSerializer(patient).data | {"activation_code": code}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=PatientInputSerializer, responses={200: PatientSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        people.patient_update(patient=patient,
                              changes=self.validated(PatientInputSerializer, partial=True))
        return Response(PatientSerializer(self.base_queryset().get(pk=patient.pk)).data)

    @extend_schema(request=CareTeamAddSerializer, responses={201: CareTeamMemberSerializer})
    @action(detail=True, methods=["post"], url_path="care-team")
    def care_team(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        membership = people.care_team_add(patient=patient,
                                          staff_id=self.validated(CareTeamAddSerializer)["staff_id"],
                                          added_by=self.user)
        return Response(CareTeamMemberSerializer(membership.staff).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: PatientOverviewSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def overview(self, request: Request) -> Response:
        """The care team's list: adherence of the last 7 days and open alerts, alerts first."""
        rows = patients_overview(self.get_queryset().prefetch_related(None))
        page = self.page_of(rows)
        self.audit_page([row.patient for row in page])
        return self.get_paginated_response(PatientOverviewSerializer(page, many=True).data)

    @extend_schema(request=None, responses={201: ActivationCodeSerializer})
    @action(detail=True, methods=["post"], url_path="activation-code")
    def activation_code(self, request: Request, pk: str) -> Response:
        """A new one-time code, for a patient whose code expired or was lost."""
        code = people.activation_code_issue(patient=self.get_object(), issued_by=self.user)
        return Response({"activation_code": code}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: CaregiverSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def caregivers(self, request: Request, pk: str) -> Response:
        """The people who help her, without their codes."""
        patient = self.get_object()
        page = self.page_of(Caregiver.objects.filter(patient=patient).order_by("created_at"))
        return self.get_paginated_response(CaregiverSerializer(page, many=True).data)

    @extend_schema(request=CaregiverInputSerializer, responses={201: CaregiverCreatedSerializer})
    @caregivers.mapping.post
    def caregiver_invite(self, request: Request, pk: str) -> Response:
        """Invite a caregiver: the answer holds her one-time activation code, once."""
        patient = self.get_object()
        values = self.validated(CaregiverInputSerializer)
        caregiver, code = people.caregiver_invite(
            patient=patient, display_name=values["display_name"],
            relationship=values.get("relationship", ""), invited_by=self.user)
        self.audit.retarget("caregiver", caregiver.pk, patient.pk)
        body = CaregiverSerializer(caregiver).data | {"activation_code": code}
        return Response(body, status=status.HTTP_201_CREATED)


class CaregiverViewSet(TendViewSet):
    """One caregiver: read her, or end her access at once. There is no list of every caregiver
    (api/urls.py routes only these two): a patient's are listed at patients/{id}/caregivers/."""

    model = Caregiver
    serializer_class = CaregiverSerializer
    audit_object_type = "caregiver"
    http_method_names = ["get", "delete", "head", "options"]
    required_actions = {"retrieve": Action.CAREGIVER_READ, "destroy": Action.CAREGIVER_REVOKE}
    audit_actions = {"destroy": "caregiver_revoke"}

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        people.caregiver_revoke(caregiver=self.get_object(), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
