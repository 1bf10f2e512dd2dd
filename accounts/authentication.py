"""API token authentication (spec §4.1–4.2)."""

from django.http import HttpRequest
from rest_framework import authentication, exceptions

from .models import User


def extract_token(request: HttpRequest) -> tuple[bool, str]:
    """Returns (credentials were offered, the token). The header pair wins over Authorization."""
    meta = request.META
    if "HTTP_X_USER_EMAIL" in meta and "HTTP_X_USER_TOKEN" in meta:
        return True, meta["HTTP_X_USER_TOKEN"].strip()
    if "HTTP_AUTHORIZATION" in meta:
        words = meta["HTTP_AUTHORIZATION"].split()
        return True, words[-1] if words else ""
    # A lone X-User-Token is a credential too, and one that can never match.
    return "HTTP_X_USER_TOKEN" in meta, ""


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """X-User-Email + X-User-Token, or the last word of Authorization. A bad token is a 401,
    never anonymous; the session cookie is not accepted on the API (spec §15.11)."""

    def authenticate(self, request):
        offered, token = extract_token(request._request)
        if not offered:
            return None
        user = User.objects.get_by_api_token(token) if token else None
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed()
        return user, None

    def authenticate_header(self, request) -> str:
        return "Bearer"
