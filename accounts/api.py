"""API tokens (django-rest-knox): obtain one, list and revoke your own, log out.

Mounted at /api/auth/ by config/urls.py. A token is shown once, when it is obtained; only
its hash is stored, and it expires settings.API_TOKEN_TTL_HOURS later. Each client or
device obtains its own, so one can be revoked without the others.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import twofactor
from .auth import TokenAuthentication
from .models import ApiToken

__all__ = ["LogoutAllApi", "LogoutApi", "TokenListApi", "TokenObtainApi", "TokenRevokeApi"]


class AuthErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True)


class CredentialsErrorSerializer(serializers.Serializer):
    non_field_errors = serializers.ListField(
        child=serializers.CharField(), read_only=True, required=False,
        help_text=_("The username and password do not match an active user."),
    )
    username = serializers.ListField(child=serializers.CharField(), read_only=True, required=False)
    password = serializers.ListField(child=serializers.CharField(), read_only=True, required=False)
    otp = serializers.ListField(child=serializers.CharField(), read_only=True, required=False, help_text=_(
        "Two-factor authentication is on (or required) for this user and the code is missing or wrong."))


UNAUTHENTICATED = OpenApiResponse(AuthErrorSerializer, description=_("No valid token (or session): missing, "
                                                                     "wrong, expired or revoked."))


class TokenObtainApi(APIView):
    """POST username + password for a new token. The password is checked by `authenticate()`
    with the request, so django-axes counts each failure; a locked-out username + address is
    a JSON 429."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="Credentials")
    class InputSerializer(serializers.Serializer):
        # The messages are Django REST framework's own (and its translations), as before knox.
        username = serializers.CharField(label=_("Username"), write_only=True)
        password = serializers.CharField(label=_("Password"), style={"input_type": "password"},
                                         trim_whitespace=False, write_only=True)

        otp = serializers.CharField(
            label=_("Two-factor code"), write_only=True, required=False, allow_blank=True, max_length=16,
            help_text=_("The 6-digit code from your authenticator app, if two-factor authentication is on "
                        "for your account."),
        )

        def validate(self, attrs):
            request = self.context["request"]
            user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
            if not user:
                raise serializers.ValidationError(_("Unable to log in with provided credentials."),
                                                  code="authorization")
            refusal = twofactor.api_code_refusal(user, attrs.get("otp"))
            if refusal:
                if attrs.get("otp"):
                    # A wrong code is a failed login for django-axes too, as on the web.
                    user_login_failed.send(sender=__name__, credentials={"username": attrs["username"]},
                                           request=request)
                raise serializers.ValidationError({"otp": [refusal]}, code="two_factor")
            attrs["user"] = user
            return attrs

    @extend_schema_serializer(component_name="IssuedToken")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(read_only=True, help_text=_(
            "Send it as `Authorization: Token <token>`. It is shown only this once."))
        expiry = serializers.DateTimeField(read_only=True, help_text=_("When the token stops working."))

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token_create",
        summary=_("Obtain an API token"),
        description=_(
            "Exchange a username and password for a new token; send it as `Authorization: Token <token>`. "
            "Each call issues another token (one per client or device); it expires after the configured "
            "lifetime (30 days unless set otherwise) and is revoked when the password is changed or the "
            "user is deactivated."
        ),
        auth=[],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(CredentialsErrorSerializer, description=_("Wrong or missing credentials.")),
            429: OpenApiResponse(AuthErrorSerializer, description=_(
                "Too many failed logins for this username from this address (code `locked_out`); "
                "`Retry-After` gives the seconds to wait.")),
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except serializers.ValidationError:
            # Axes flags the request it was given: DRF's Request, not the HttpRequest
            # that its middleware looks at, so the lockout answer is given here.
            if getattr(request, "axes_locked_out", False):
                from config.lockout import lockout_response

                return lockout_response(request._request)
            raise
        instance, token = AuthToken.objects.create(user=serializer.validated_data["user"])
        return Response(self.OutputSerializer({"token": token, "expiry": instance.expiry}).data)


class TokenListApi(APIView):
    @extend_schema_serializer(component_name="ApiToken")
    class OutputSerializer(serializers.Serializer):
        prefix = serializers.CharField(read_only=True, help_text=_(
            "The start of the token: enough to tell it apart and to revoke it, not to use it."))
        created = serializers.DateTimeField(read_only=True)
        expiry = serializers.DateTimeField(read_only=True, help_text=_("When the token stops working."))
        current = serializers.BooleanField(read_only=True, help_text=_("Whether this request was made with it."))

    @extend_schema(
        tags=["auth"],
        summary=_("Your API tokens"),
        description=_("The tokens you hold that have not expired, newest first; never the token itself."),
        responses={200: OutputSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request, *args, **kwargs):
        current = request.auth.digest if isinstance(request.auth, AuthToken) else None
        tokens = ApiToken.objects.of(request.user).live().order_by("-created")
        rows = [
            {"prefix": token.prefix, "created": token.created, "expiry": token.expiry,
             "current": token.digest == current}
            for token in tokens
        ]
        return Response(self.OutputSerializer(rows, many=True).data)


class TokenRevokeApi(APIView):
    @extend_schema(
        tags=["auth"],
        summary=_("Revoke one of your API tokens"),
        description=_("The token whose `prefix` (as listed) is given stops working at once."),
        parameters=[OpenApiParameter("prefix", str, OpenApiParameter.PATH, description=_(
            "The token's prefix, as listed."))],
        request=None,
        responses={
            204: OpenApiResponse(description=_("Revoked.")),
            401: UNAUTHENTICATED,
            404: OpenApiResponse(AuthErrorSerializer, description=_("You hold no token with this prefix.")),
        },
    )
    def delete(self, request, prefix: str, *args, **kwargs):
        deleted, _rows = ApiToken.objects.of(request.user).with_prefix(prefix).delete()
        if not deleted:
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutApi(APIView):
    """Revokes the token the request is made with: only a token can log itself out."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(
        tags=["auth"],
        summary=_("Log out: revoke this token"),
        description=_("The token this request is made with stops working; your other tokens are kept."),
        request=None,
        responses={204: OpenApiResponse(description=_("Revoked.")), 401: UNAUTHENTICATED},
    )
    def post(self, request, *args, **kwargs):
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    @extend_schema(
        tags=["auth"],
        summary=_("Log out everywhere: revoke all your tokens"),
        description=_("Every token you hold stops working, this request's included."),
        request=None,
        responses={204: OpenApiResponse(description=_("Revoked.")), 401: UNAUTHENTICATED},
    )
    def post(self, request, *args, **kwargs):
        AuthToken.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
