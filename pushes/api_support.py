"""DRF plumbing that makes the API answer exactly as the spec's error catalogue says."""

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from pwpush.middleware import is_api_path


class UploadRefused(Exception):
    """An upload that must not be stored; carries the HTTP status and the JSON body."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(status)
        self.status, self.body = status, body


class StorageUnavailable(Exception):
    """The storage backend failed while taking or giving a file."""


def error(status: int, message: str) -> Response:
    return Response({"error": message}, status=status)


def not_found() -> Response:
    return error(404, "not-found")


def unauthorized() -> Response:
    """The bare 401 of spec §4.2: no body."""
    return Response(status=401, headers={"WWW-Authenticate": "Bearer"})


ROUTE_NOT_FOUND = {"status": 404, "error": "Not Found"}


def exception_handler(exc, context):
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return unauthorized()
    if isinstance(exc, (exceptions.MethodNotAllowed, Http404, exceptions.NotFound)):
        return Response(ROUTE_NOT_FOUND, status=404)
    if isinstance(exc, exceptions.Throttled):
        return error(429, "Too many passphrase attempts. Please try again in a minute.")
    if isinstance(exc, exceptions.PermissionDenied):
        return error(403, str(exc.detail))
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(response.data, dict)
        and "detail" in response.data
    ):
        response.data = {"error": str(response.data["detail"])}
    return response


def json_not_found(request: HttpRequest, exception=None):
    """handler404: the framework's JSON not-found for .json and /api/ paths."""
    if is_api_path(request.path):
        return JsonResponse(ROUTE_NOT_FOUND, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_bad_request(request: HttpRequest, exception=None):
    """handler400: a JSON error for API paths (malformed requests Django refused itself)."""
    if is_api_path(request.path):
        return JsonResponse({"error": "Bad Request"}, status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def json_server_error(request: HttpRequest):
    """handler500: never a stack trace, JSON for API paths."""
    if is_api_path(request.path):
        return JsonResponse(
            {"status": 500, "error": "Internal Server Error"}, status=500
        )
    from django.views.defaults import server_error

    return server_error(request)


def base_url(request: HttpRequest) -> str:
    """scheme://host[:port] for links: OVERRIDE_BASE_URL, else the request's own (spec §6.4)."""
    base = settings.OVERRIDE_BASE_URL or f"{request.scheme}://{request.get_host()}"
    if settings.FORCE_SSL and not request.is_secure() and base.startswith("http://"):
        base = "https://" + base[len("http://") :]
    return base
