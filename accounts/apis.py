"""Authentication endpoints for the same-origin single-page app (session cookie + CSRF token)."""

from __future__ import annotations

from typing import Any

from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_profile
from accounts.services import user_login, user_logout, user_register_and_login
from accounts.throttles import LoginIPThrottle, LoginUsernameThrottle, RegisterIPThrottle
from animesite.fields import StrictCharField


class _CsrfCheckedAPIView(APIView):
    """Checks the CSRF token on every request, logged in or not.

    DRF's session authentication only checks it for a visitor who is already logged in; login
    and registration must be protected too (login CSRF).
    """

    permission_classes = [AllowAny]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        SessionAuthentication().enforce_csrf(request)
        super().initial(request, *args, **kwargs)


class CurrentUserOutputSerializer(serializers.Serializer):
    """The visitor: ``{"is_authenticated": false}`` for anonymous visitors, the user's fields otherwise."""

    is_authenticated = serializers.BooleanField()
    id = serializers.IntegerField(required=False)
    username = serializers.CharField(required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    is_staff = serializers.BooleanField(required=False)
    preferred_language = serializers.CharField(required=False, allow_blank=True)
    date_joined = serializers.DateTimeField(required=False)

    class Meta:
        ref_name = "CurrentUser"


_ERRORS = {
    400: OpenApiResponse(description='`{"code", "message", "extra": {"fields": {...}}}`'),
    403: OpenApiResponse(description="CSRF token missing or incorrect."),
}


class RegisterApi(_CsrfCheckedAPIView):
    throttle_classes = [RegisterIPThrottle]

    class InputSerializer(serializers.Serializer):
        username = StrictCharField(max_length=150)
        email = serializers.EmailField(required=False, allow_blank=True, default="")
        password = StrictCharField(max_length=128, trim_whitespace=False)
        password_confirm = StrictCharField(max_length=128, trim_whitespace=False)

        class Meta:
            ref_name = "RegisterInput"

    OutputSerializer = CurrentUserOutputSerializer

    @extend_schema(
        operation_id="auth_register",
        request=InputSerializer,
        responses={201: OutputSerializer, **_ERRORS, 429: OpenApiResponse(description="Too many attempts.")},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register_and_login(request=request._request, **serializer.validated_data)
        return Response(self.OutputSerializer(user_profile(user)).data, status=status.HTTP_201_CREATED)


class LoginApi(_CsrfCheckedAPIView):
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    class InputSerializer(serializers.Serializer):
        username = StrictCharField(max_length=150)
        password = StrictCharField(max_length=128, trim_whitespace=False)

        class Meta:
            ref_name = "LoginInput"

    OutputSerializer = CurrentUserOutputSerializer

    @extend_schema(
        operation_id="auth_login",
        request=InputSerializer,
        responses={200: OutputSerializer, **_ERRORS, 429: OpenApiResponse(description="Too many attempts.")},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_login(request=request._request, **serializer.validated_data)
        return Response(self.OutputSerializer(user_profile(user)).data)


class LogoutApi(_CsrfCheckedAPIView):
    OutputSerializer = CurrentUserOutputSerializer

    @extend_schema(
        operation_id="auth_logout", request=None, responses={200: OutputSerializer, 403: _ERRORS[403]}
    )
    def post(self, request: Request) -> Response:
        user_logout(request=request._request)
        return Response(self.OutputSerializer(user_profile(request._request.user)).data)


@method_decorator(ensure_csrf_cookie, name="dispatch")
class MeApi(APIView):
    """The current visitor; also hands the SPA its CSRF cookie."""

    permission_classes = [AllowAny]

    OutputSerializer = CurrentUserOutputSerializer

    @extend_schema(operation_id="auth_me", responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(user_profile(request.user)).data)
