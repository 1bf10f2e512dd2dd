"""HTML pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

import pwpush
from pwpush.middleware import no_store

from .api_support import base_url


def home(request: HttpRequest) -> HttpResponse:
    """What this server is, and how to use its API."""
    context = {"version": pwpush.__version__, "base_url": base_url(request)}
    return render(request, "pushes/home.html", context)


def link(request: HttpRequest, url_token: str) -> HttpResponse:
    """The shared link (html_url) in a browser: says how to read the push, reveals nothing.

    It does not look the push up, so it neither uses a view nor tells whether the push exists.
    """
    context = {"json_url": f"{base_url(request)}/p/{url_token}.json"}
    response = no_store(render(request, "pushes/link.html", context))
    response["Referrer-Policy"] = "no-referrer"
    return response
