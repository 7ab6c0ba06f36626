"""Signing in and out: bearer tokens for outside clients, a session cookie for the PWA."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import CsrfSessionAuthentication
from api.base import AuditedAPIView, client_ip
from api.serializers import (
    ActivateSerializer,
    LoginSerializer,
    TokenSerializer,
    UserSerializer,
)
from tracker import access
from tracker.models import ApiToken, User
from tracker.services import auth as auth_service
from tracker.services.people import patient_activate

_BAD_CREDENTIALS = "The username or password is not right."
# What the session endpoint answers: who the session cookie signs in, or null for nobody.
_SIGNED_IN = inline_serializer("SessionSignedIn", {"user": UserSerializer()})
_SESSION_STATE = inline_serializer("SessionState", {"user": UserSerializer(allow_null=True)})


class _PublicView(AuditedAPIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    audit_object_type = "user"

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    def _verify(self, request: Request) -> User:
        credentials = self.validated(LoginSerializer)
        self.audit.action = "login"
        user = auth_service.login_verify(username=credentials["username"],
                                         password=credentials["password"], ip=client_ip(request))
        if user is None:
            raise exceptions.AuthenticationFailed(_BAD_CREDENTIALS)
        self.audit.actor = user
        self.audit.touch("user", user.pk)
        return user


class TokenView(_PublicView):
    @extend_schema(request=LoginSerializer, responses={200: TokenSerializer})
    def post(self, request: Request) -> Response:
        user = self._verify(request)
        token, raw = auth_service.token_issue(user=user)
        return Response(TokenSerializer({"token": raw, "expires_at": token.expires_at,
                                         "user": user}).data)


class SessionView(_PublicView):
    """The PWA's sign-in. CSRF is checked here too: a login form is a target as well."""

    authentication_classes = [CsrfSessionAuthentication]

    @extend_schema(responses={200: _SESSION_STATE})
    def get(self, request: Request) -> Response:
        """Say who the session cookie signs in, if anyone.

        Always 200: `{"user": null}` when the cookie signs nobody in (none sent, signed out, or
        ended by the idle or total limit), so that the PWA asks at start without an error. Only the
        session cookie counts: a bearer token is not a session, and is not read here.
        """
        user = request.user if request.user is not None and request.user.is_authenticated else None
        if user is None:
            return Response({"user": None})
        profile = access.acting_for(user)
        self.audit.touch("user", user.pk, profile.pk if profile else None)
        return Response({"user": UserSerializer(user).data})

    @extend_schema(request=LoginSerializer, responses={200: _SIGNED_IN})
    def post(self, request: Request) -> Response:
        CsrfSessionAuthentication().enforce_csrf(request)
        user = self._verify(request)
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")  # rotates the key
        policy = auth_service.session_policy(user)
        request.session.set_expiry(policy.max_seconds)
        # The idle and total limits (SessionPolicyMiddleware) count from now, not the next request.
        request.session["tend_signed_in_at"] = request.session["tend_last_seen_at"] = time.time()
        return Response({"user": UserSerializer(user).data})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        self.audit.action = "logout"
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(AuditedAPIView):
    audit_object_type = "user"

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        self.audit.action = "logout"
        self.audit.touch("user", request.user.pk)
        if isinstance(request.auth, ApiToken):
            auth_service.token_revoke(token=request.auth)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CsrfView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={204: None})
    def get(self, request: Request) -> Response:
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivateView(_PublicView):
    @extend_schema(request=ActivateSerializer, responses={201: UserSerializer})
    def post(self, request: Request) -> Response:
        values = self.validated(ActivateSerializer)
        self.audit.action = "activate"
        user = patient_activate(ip=client_ip(request), **values)
        self.audit.actor = user
        patient = access.acting_for(user)
        self.audit.touch("user", user.pk, patient.pk if patient else None)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class MeView(AuditedAPIView):
    audit_object_type = "user"

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        profile = access.acting_for(self.user)
        self.audit.touch("user", self.user.pk, profile.pk if profile else None)
        return Response(UserSerializer(self.user).data)
