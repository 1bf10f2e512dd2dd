"""Request plumbing: who the client really is, and the headers every API answer carries."""

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> list:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _trusted(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


class TrustedProxyMiddleware:
    """Believes X-Forwarded-For/-Proto/-Host only from TRUSTED_PROXIES; strips them otherwise.

    The client is the right-most X-Forwarded-For address that is not a trusted proxy.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        networks = _networks(tuple(settings.TRUSTED_PROXIES))
        if networks and _trusted(meta.get("REMOTE_ADDR", ""), networks):
            hops = [
                hop.strip()
                for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if hop.strip()
            ]
            while hops and _trusted(hops[-1], networks):
                hops.pop()
            if hops and _valid_ip(hops[-1]):
                meta["REMOTE_ADDR"] = hops[-1]
            proto = meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
            if proto in {"http", "https"}:
                meta["wsgi.url_scheme"] = proto
            host = meta.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
            if host:
                meta["HTTP_HOST"] = host
        else:
            for header in (
                "HTTP_X_FORWARDED_FOR",
                "HTTP_X_FORWARDED_PROTO",
                "HTTP_X_FORWARDED_HOST",
            ):
                meta.pop(header, None)
        return self.get_response(request)


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def no_store(response: HttpResponse) -> HttpResponse:
    """Marks an answer that holds (or points at) a secret as never to be cached."""
    response["Cache-Control"] = "no-store, no-cache"
    response["Pragma"] = "no-cache"
    return response


def is_api_path(path: str) -> bool:
    return path.endswith(".json") or path.startswith("/api/")


class ApiHeadersMiddleware:
    """no-store on every API answer (they carry secrets), noindex, and CORS for POST /p.json."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cors = request.path == "/p.json"
        if cors and request.method == "OPTIONS":
            response = HttpResponse(status=200)
            response["Access-Control-Allow-Methods"] = "POST"
            response["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Content-Type, Authorization"
            )
            response["Access-Control-Max-Age"] = "7200"
        else:
            response = self.get_response(request)
        if cors:
            response["Access-Control-Allow-Origin"] = "*"
        if is_api_path(request.path):
            no_store(response)
        if settings.NOINDEX:
            response["X-Robots-Tag"] = "noindex, nofollow"
        return response
